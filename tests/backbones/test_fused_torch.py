"""The fused torch path (`rs3l_keras.backbones.fused.torch_fused_rnn`: PyTorch's own
multi-layer RNN kernels over the Keras variables) computes what the standard Keras layers
compute, forward and backward, for every cell, uni- and bidirectional, token and feature
input, float32 and mixed_bfloat16; and weights move between backends unchanged.

torch is not in any extra (its wheel is large): these tests run where it is installed
(`make test-torch` installs it; the development machine has it) and skip otherwise."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed (see `make test-torch`)")

SCRIPT = pathlib.Path(__file__).with_name("fused_torch_check.py")
ROOT = SCRIPT.parents[2]


def run_check(policy):
    env = {**os.environ, "KERAS_BACKEND": "torch", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), policy], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cases = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(cases) == 12  # 3 cells x uni/bi x token/feature input
    return cases


def test_fused_torch_matches_standard_layers_float32():
    for case in run_check("float32"):
        name = f"{case['cell']} bidirectional={case['bidirectional']} tokens={case['token_input']}"
        assert case["fused_calls"] == 1 and case["standard_fused_calls"] == 0, name  # the whole stack, once
        assert case["dtype_fused"] == case["dtype_standard"] == "float32", name
        assert case["max_abs_diff_output"] <= 1e-5 * max(1.0, case["max_abs_output"]), name
        assert case["max_abs_diff_grad"] <= 1e-5 * max(1.0, case["max_abs_grad"]), name
        assert case["max_abs_grad"] > 0, name  # gradients reached every Keras variable


def test_fused_torch_under_mixed_bfloat16():
    for case in run_check("mixed_bfloat16"):
        name = f"{case['cell']} bidirectional={case['bidirectional']} tokens={case['token_input']}"
        assert case["fused_calls"] == 1, name
        assert case["dtype_fused"] == case["dtype_standard"] == "bfloat16", name
        # Both paths compute in bfloat16, with different summation orders: close, not equal.
        assert case["max_abs_diff_output"] <= 0.03 * max(0.1, case["max_abs_output"]), name
        assert case["max_abs_diff_grad"] <= 0.02 * case["max_abs_grad"], name


CROSS = r"""
import json, os, sys
import numpy as np
import rs3l_keras as rs3l
path, mode = sys.argv[1], sys.argv[2]
ids = np.random.default_rng(1).integers(1, 40, size=(3, 9)).astype("int32")
if mode == "save":
    import keras
    keras.utils.set_random_seed(3)
    model = rs3l.LanguageModel(rs3l.RNNBackbone(40, cell=os.environ["CELL"], num_layers=2, hidden_dim=12,
                                                embedding_dim=6, dropout=0.1), sequence_length=8)
    model.compile()
    x = np.random.default_rng(2).integers(1, 40, size=(16, 9)).astype("int32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)  # train a step on this backend
    model.save(path)
else:
    import keras
    model = keras.saving.load_model(path)
print(json.dumps(np.asarray(keras.ops.convert_to_numpy(model.predict_on_batch(ids)), "float64").tolist()))
"""


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_checkpoint_trained_on_torch_fused_path_runs_on_tensorflow_and_back(tmp_path, cell):
    """A model trained through the fused torch kernel loads on TensorFlow (standard Keras
    layers) with the same predictions, and a TensorFlow-trained one loads on torch."""

    def run(backend, mode, path):
        env = {**os.environ, "KERAS_BACKEND": backend, "CELL": cell, "CUDA_VISIBLE_DEVICES": ""}
        done = subprocess.run(
            [sys.executable, "-c", CROSS, str(path), mode],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return np.array(json.loads(done.stdout.strip().splitlines()[-1]))

    for trained_on, loaded_on in (("torch", "tensorflow"), ("tensorflow", "torch")):
        path = tmp_path / f"{cell}_{trained_on}.keras"
        saved = run(trained_on, "save", path)
        loaded = run(loaded_on, "load", path)
        np.testing.assert_allclose(loaded, saved, atol=2e-5, rtol=1e-4)


def test_fused_path_choice(monkeypatch):
    import keras

    from rs3l_keras import RNNBackbone
    from rs3l_keras.backbones import fused

    backbone = RNNBackbone(vocabulary_size=5, hidden_dim=4, cell="gru", bidirectional=True, dropout=0.2)
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    assert fused.fused_available(backbone, training=True) == "torch"  # every cell, dropout included
    assert fused.describe(backbone).startswith("one PyTorch GRU kernel call for all 1 layer(s) (")
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    assert fused.fused_available(backbone) is None
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    monkeypatch.setenv("RS3L_FUSED_RNN", "0")
    assert fused.fused_available(backbone) is None


DECODER = r"""
import json, os
import numpy as np, keras
import rs3l_keras as rs3l
from rs3l_keras.backbones import fused
calls = []
original = fused.torch_fused_layer
fused.torch_fused_layer = lambda *a: calls.append(1) or original(*a)
for cell in ("lstm", "gru"):
    keras.utils.set_random_seed(0)
    model = rs3l.SequenceAutoencoder(rs3l.RNNBackbone(input_dim=2, cell=cell, hidden_dim=8), code_dim=3)
    x = np.random.default_rng(0).normal(size=(4, 16, 2)).astype("float32")
    out = {}
    for on in ("0", "1"):
        os.environ["RS3L_FUSED_RNN"] = on
        before = len(calls)
        for v in model.trainable_variables:
            v.value.grad = None
        y = model(x, training=True)["reconstruction"]
        (y.float() ** 2).sum().backward()
        out[on] = (y.detach().numpy(), [v.value.grad.numpy().copy() for v in model.trainable_variables],
                   len(calls) - before)
    print(json.dumps({"cell": cell, "decoder_calls": [out["0"][2], out["1"][2]],
                      "diff_output": float(np.abs(out["0"][0] - out["1"][0]).max()),
                      "diff_grad": max(float(np.abs(a - b).max()) for a, b in zip(out["0"][1], out["1"][1])),
                      "max_grad": max(float(np.abs(a).max()) for a in out["0"][1])}))
"""


def test_autoencoder_decoder_runs_pytorch_kernel_from_its_initial_state():
    """The `SequenceAutoencoder` decoder (a Keras layer started from the code's bridge
    states) runs PyTorch's kernel on torch and computes what Keras' own loop computes."""
    env = {**os.environ, "KERAS_BACKEND": "torch", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-c", DECODER], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cases = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [c["cell"] for c in cases] == ["lstm", "gru"]
    for case in cases:
        assert case["decoder_calls"] == [0, 1], case
        assert case["diff_output"] <= 1e-5 and case["diff_grad"] <= 1e-5 * max(1.0, case["max_grad"]), case
