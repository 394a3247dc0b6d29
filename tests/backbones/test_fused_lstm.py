"""The fused LSTM stack (`rs3l_keras.backbones.fused`) computes what the standard Keras
layers compute, from the same weights, forward and backward.

cuDNN is GPU-only, so on CPU `jax.experimental.rnn`'s reference kernel (same flat weight
layout) stands in for it; the GPU run itself is checked by `benchmarks/throughput.py`."""

import json
import os
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).with_name("fused_check.py")


def run_check(policy):
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), policy],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=SCRIPT.parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_fused_stack_matches_standard_layers_float32():
    result = run_check("float32")
    assert result["fused_calls"] == 1 and result["standard_fused_calls"] == 0
    assert result["layers_per_call"] == 3  # the whole stack in one call
    assert result["max_abs_diff_output"] < 1e-6
    assert result["max_abs_diff_grad"] < 1e-5 * max(1.0, result["max_abs_grad"])


def test_fused_stack_under_mixed_bfloat16_keeps_the_recurrence_in_float32():
    result = run_check("mixed_bfloat16")
    assert result["fused_calls"] == 1
    assert result["dtype_fused"] == result["dtype_standard"] == "bfloat16"  # the model's outputs stay bf16
    # The standard path runs the LSTM in bfloat16, the fused one in float32: close, not equal.
    assert 0 < result["max_abs_diff_output"] < 0.02
    assert result["max_abs_diff_grad"] < 0.05 * result["max_abs_grad"]


def test_fused_path_only_where_it_applies(monkeypatch):
    import keras

    from rs3l_keras import RNNBackbone
    from rs3l_keras.backbones import fused

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setattr(fused, "_jax_gpu_available", lambda: True)
    assert fused.fused_lstm_available(RNNBackbone(vocabulary_size=5, hidden_dim=4))
    assert not fused.fused_lstm_available(RNNBackbone(vocabulary_size=5, hidden_dim=4, cell="gru"))
    assert not fused.fused_lstm_available(RNNBackbone(vocabulary_size=5, hidden_dim=4, bidirectional=True))
    with_dropout = RNNBackbone(vocabulary_size=5, hidden_dim=4, num_layers=2, dropout=0.1)
    assert fused.fused_lstm_available(with_dropout, training=False)
    assert not fused.fused_lstm_available(with_dropout, training=True)
    monkeypatch.setenv("RS3L_FUSED_RNN", "0")
    assert not fused.fused_lstm_available(RNNBackbone(vocabulary_size=5, hidden_dim=4))


def test_describe_names_the_path_that_runs(monkeypatch):
    import keras

    from rs3l_keras import RNNBackbone
    from rs3l_keras.backbones import fused

    backbone = RNNBackbone(vocabulary_size=5, hidden_dim=4, num_layers=2, cell="gru")
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    assert fused.describe(backbone) == "Keras GRU layers, one call per layer (tensorflow backend)"
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setattr(fused, "_jax_gpu_available", lambda: True)
    assert fused.describe(RNNBackbone(vocabulary_size=5, hidden_dim=4, num_layers=2)) == (
        "one cuDNN call for all 2 LSTM layer(s) (JAX, GPU)"
    )
    assert fused.describe(backbone).startswith("Keras GRU layers")  # JAX fuses LSTM stacks only
    monkeypatch.setenv("RS3L_FUSED_RNN", "0")
    assert fused.describe(backbone).endswith("(RS3L_FUSED_RNN=0)")
