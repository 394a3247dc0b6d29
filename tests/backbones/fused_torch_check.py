"""Run under KERAS_BACKEND=torch by test_fused_torch.py: `RNNBackbone`'s fused torch path
(PyTorch's multi-layer RNN kernels over the Keras variables) against the standard per-layer
Keras path, forward and gradients, for each cell, uni- and bidirectional, float32 and
mixed_bfloat16. Prints one JSON line per case."""

import json
import os
import sys


def compare(cell, bidirectional, policy, token_input):
    import keras
    import numpy as np
    import torch

    from rs3l_keras import RNNBackbone
    from rs3l_keras.backbones import fused

    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(0)
    if token_input:
        backbone = RNNBackbone(
            vocabulary_size=30, cell=cell, num_layers=3, hidden_dim=16, embedding_dim=8, bidirectional=bidirectional
        )
        x = np.random.default_rng(0).integers(1, 30, size=(4, 11)).astype("int32")
        x[0, 7:] = 0  # right padding: pooled output reads the last real step
    else:
        backbone = RNNBackbone(input_dim=3, cell=cell, num_layers=2, hidden_dim=16, bidirectional=bidirectional)
        x = np.random.default_rng(0).normal(size=(4, 11, 3)).astype("float32")
    calls = []
    original = fused.torch_fused_rnn

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    fused.torch_fused_rnn = counting
    results = {}
    for fused_on in (False, True):
        os.environ["RS3L_FUSED_RNN"] = "1" if fused_on else "0"
        before = len(calls)
        for v in backbone.trainable_variables:
            v.value.grad = None
        out = backbone(x, training=True)
        loss = torch.sum(out["sequence_output"].float() ** 2) + torch.sum(out["pooled_output"].float())
        loss.backward()
        results[fused_on] = {
            "seq": out["sequence_output"].detach().float().cpu().numpy(),
            "pooled": out["pooled_output"].detach().float().cpu().numpy(),
            "grads": [v.value.grad.detach().float().cpu().numpy() for v in backbone.trainable_variables],
            "dtype": str(out["sequence_output"].dtype).replace("torch.", ""),
            "calls": len(calls) - before,
        }
    fused.torch_fused_rnn = original
    std, fus = results[False], results[True]
    return {
        "cell": cell,
        "bidirectional": bidirectional,
        "policy": policy,
        "token_input": token_input,
        "fused_calls": fus["calls"],
        "standard_fused_calls": std["calls"],
        "dtype_standard": std["dtype"],
        "dtype_fused": fus["dtype"],
        "max_abs_diff_output": float(
            max(np.max(np.abs(std["seq"] - fus["seq"])), np.max(np.abs(std["pooled"] - fus["pooled"])))
        ),
        "max_abs_output": float(np.max(np.abs(std["seq"]))),
        "max_abs_diff_grad": max(float(np.max(np.abs(a - b))) for a, b in zip(std["grads"], fus["grads"])),
        "max_abs_grad": max(float(np.max(np.abs(a))) for a in std["grads"]),
        "grads_compared": len(std["grads"]),
    }


def main():
    policy = sys.argv[1] if len(sys.argv) > 1 else "float32"
    for cell in ("lstm", "gru", "simple"):
        for bidirectional in (False, True):
            for token_input in (True, False):
                print(json.dumps(compare(cell, bidirectional, policy, token_input)), flush=True)


if __name__ == "__main__":
    main()
