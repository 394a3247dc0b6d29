"""Run under KERAS_BACKEND=jax by test_fused_lstm.py: the fused LSTM stack (with
jax.experimental.rnn's reference kernel standing in for cuDNN on CPU) against the standard
per-layer Keras path, forward and gradients, float32 and mixed_bfloat16. Prints one JSON."""

import json
import os
import sys


def reference_lstm(x, h0, c0, weights, seq_lengths, *, input_size, hidden_size, num_layers, dropout, bidirectional):
    import jax.experimental.rnn as jrnn

    unpacked = jrnn.unpack_lstm_weights(weights, input_size, hidden_size, num_layers, bidirectional)
    return jrnn.lstm_ref(x, h0, c0, *unpacked, seq_lengths, input_size, hidden_size, num_layers, dropout, bidirectional)


def main():
    import jax
    import jax.experimental.rnn as jrnn
    import keras
    import numpy as np

    from rs3l_keras import RNNBackbone
    from rs3l_keras.backbones import fused

    calls = []

    def counting_reference(*args, **kwargs):
        calls.append(kwargs["num_layers"])
        return reference_lstm(*args, **kwargs)

    jrnn.lstm = counting_reference
    fused._jax_gpu_available = lambda: True

    policy = sys.argv[1] if len(sys.argv) > 1 else "float32"
    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(0)
    backbone = RNNBackbone(vocabulary_size=30, num_layers=3, hidden_dim=16, embedding_dim=8)
    ids = np.random.default_rng(0).integers(1, 30, size=(4, 11)).astype("int32")
    ids[0, 7:] = 0  # right padding: pooled output reads the last real step
    trainable = [v.value for v in backbone.trainable_variables]
    fixed = [v.value for v in backbone.non_trainable_variables]

    def loss(values, fused_on):
        os.environ["RS3L_FUSED_RNN"] = "1" if fused_on else "0"
        out, _ = backbone.stateless_call(values, fixed, ids, training=True)
        return (
            keras.ops.sum(keras.ops.cast(out["sequence_output"], "float32") ** 2)
            + keras.ops.sum(keras.ops.cast(out["pooled_output"], "float32"))
        ), out

    results = {}
    for fused_on in (False, True):
        before = len(calls)
        (value, out), grads = jax.value_and_grad(loss, has_aux=True)(trainable, fused_on)
        results[fused_on] = {
            "value": float(value),
            "grads": [np.asarray(g, "float32") for g in grads],
            "seq": np.asarray(out["sequence_output"], "float32"),
            "dtype": str(out["sequence_output"].dtype),
            "fused_calls": len(calls) - before,
        }
    std, fus = results[False], results[True]
    print(
        json.dumps(
            {
                "policy": policy,
                "fused_calls": fus["fused_calls"],
                "standard_fused_calls": std["fused_calls"],
                "layers_per_call": calls[-1] if calls else None,
                "dtype_standard": std["dtype"],
                "dtype_fused": fus["dtype"],
                "max_abs_diff_output": float(np.max(np.abs(std["seq"] - fus["seq"]))),
                "max_abs_diff_grad": max(float(np.max(np.abs(a - b))) for a, b in zip(std["grads"], fus["grads"])),
                "max_abs_grad": max(float(np.max(np.abs(a))) for a in std["grads"]),
                "loss_standard": std["value"],
                "loss_fused": fus["value"],
            }
        )
    )


if __name__ == "__main__":
    main()
