"""`--backend` (rs3l_keras.backends): chosen before Keras loads, announced in one line, bad
values named; and a model trained on any backend loads on the others with the same outputs."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from rs3l_keras import backends

ROOT = pathlib.Path(__file__).parents[1]
ALL = [b for b in ("tensorflow", "jax", "torch") if backends._installed(b)]


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "RS3L_BACKEND")}
    return {**env, "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu", **extra}


def _rs3l(args, env, console_script=False):
    exe = (
        [str(pathlib.Path(sys.executable).with_name("rs3l"))]
        if console_script
        else [sys.executable, "-m", "rs3l_keras.cli"]
    )
    return subprocess.run(exe + args, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


def _announced(stderr):
    lines = [line for line in stderr.splitlines() if line.startswith("Keras backend: ")]
    assert len(lines) == 1, stderr[-2000:]  # one line, once
    return lines[0]


@pytest.mark.skipif("torch" not in ALL, reason="the torch extra is not installed")
def test_auto_picks_torch_on_cpu_and_says_so(tiny_preset, tmp_path, shakespeare_test):
    _, path = tiny_preset
    text = tmp_path / "text.txt"
    text.write_text(shakespeare_test[:3000])
    runs = {}
    for name, args, extra, script in (
        ("auto", [], {}, True),
        ("tensorflow", ["--backend", "tensorflow"], {}, False),
        ("env", [], {"KERAS_BACKEND": "jax"}, False),
    ):
        done = _rs3l(["evaluate", str(path), "--text", str(text), "--json", *args], _env(**extra), script)
        assert done.returncode == 0, done.stderr[-3000:]
        runs[name] = (_announced(done.stderr), json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs["auto"][0] == "Keras backend: torch (auto: fastest installed for CPU, PyTorch's own RNN kernels)"
    assert runs["tensorflow"][0] == "Keras backend: tensorflow (as requested)"
    assert runs["env"][0] == "Keras backend: jax (auto: KERAS_BACKEND is set)"
    # The same preset scores the same text alike on every backend.
    bits = [r[1]["bits_per_char"] for r in runs.values()]
    np.testing.assert_allclose(bits, bits[0], rtol=1e-4)


def test_bad_backend_is_a_clear_error():
    done = _rs3l(["evaluate", "lstm-lm-small", "--backend", "pytorch"], _env())
    assert done.returncode == 2
    assert "argument --backend: invalid choice: 'pytorch'" in done.stderr
    assert "'auto', 'tensorflow', 'jax', 'torch'" in done.stderr
    done = subprocess.run(
        [sys.executable, "-c", "import rs3l_keras"], env=_env(RS3L_BACKEND="pytorch"), capture_output=True, text=True
    )
    assert done.returncode == 1 and "RS3L_BACKEND must be one of" in done.stderr and "'pytorch'" in done.stderr


def test_select_after_keras_loaded_keeps_or_refuses(monkeypatch):
    import keras

    loaded = keras.backend.backend()
    assert backends.select("auto")[0] == loaded
    assert backends.select(loaded)[0] == loaded
    other = next(b for b in backends.CHOICES[1:] if b != loaded)
    with pytest.raises(ValueError, match=rf"`backend` '{other}' cannot be used here: Keras is already loaded"):
        backends.select(other)
    with pytest.raises(ValueError, match=r"`backend` must be one of \['auto', 'tensorflow', 'jax', 'torch'\]"):
        backends.select("cuda")


def test_auto_resolution_rules(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert backends.resolve("auto", distribute="mirrored")[0] == "tensorflow"
    assert backends.resolve("auto", distribute="jax-data-parallel")[0] == "jax"
    monkeypatch.setattr(backends, "_installed", lambda module: module == "tensorflow")
    backend, reason = backends.resolve("auto")
    assert backend == "tensorflow" and "rs3l-keras[torch]" in reason
    with pytest.raises(ValueError, match=r"`backend` 'torch' is not installed: `pip install rs3l-keras\[torch\]`"):
        backends.resolve("torch")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert backends.resolve("auto") == ("jax", "auto: KERAS_BACKEND is set")


# One process per backend trains every model kind a step and saves it; then one process per
# backend loads every saved file and predicts. Each objective's decoder path is covered: the
# LM (backbone only), the bidirectional masked LM, the autoencoder (decoder started from a
# state) and a GRU contrastive encoder.
CROSS = r"""
import json, sys
import numpy as np, keras
import rs3l_keras as rs3l
folder, mode = sys.argv[1], sys.argv[2]
backend = keras.backend.backend()
ids = np.random.default_rng(1).integers(1, 30, size=(3, 12)).astype("int32")
series = np.sin(np.linspace(0, 20, 3 * 40 * 1)).reshape(3, 40, 1).astype("float32")

def build():
    tok = rs3l.CharTokenizer.fit("abcdefghijklmnopqrstuvwxyz .")
    yield "lm", rs3l.LanguageModel(rs3l.RNNBackbone(30, hidden_dim=8, embedding_dim=4), sequence_length=10), ids
    yield "mlm", rs3l.MaskedLanguageModel(
        rs3l.RNNBackbone(tok.vocabulary_size, hidden_dim=8, embedding_dim=4, bidirectional=True), tok,
        sequence_length=10), np.minimum(ids, tok.vocabulary_size - 1)
    yield "ae", rs3l.SequenceAutoencoder(rs3l.RNNBackbone(input_dim=1, hidden_dim=8), code_dim=3, window_length=20), series[:, :20]
    yield "contrastive", rs3l.ContrastiveEncoder(rs3l.RNNBackbone(input_dim=1, cell="gru", hidden_dim=8), projection_dim=4), series

def outputs(model, x):
    out = model.predict_on_batch(x) if x.dtype == "int32" else model.predict(x, verbose=0)
    leaves = out if isinstance(out, dict) else {"output": out}
    return {k: np.asarray(keras.ops.convert_to_numpy(v), "float64").ravel().tolist() for k, v in leaves.items()}

result = {}
if mode == "save":
    for name, model, x in build():
        keras.utils.set_random_seed(3)
        model.compile()
        model.fit(x, epochs=1, batch_size=3, verbose=0)
        model.save(f"{folder}/{name}_{backend}.keras")
        result[name] = outputs(model, x)
else:
    for name, _, x in build():
        for trained_on in sys.argv[3].split(","):
            model = keras.saving.load_model(f"{folder}/{name}_{trained_on}.keras")
            result[f"{name}_{trained_on}"] = outputs(model, x)
print("RESULT " + json.dumps(result))
"""


@pytest.mark.skipif(len(ALL) < 2, reason="needs two Keras backends installed")
@pytest.mark.timeout(1800)  # six processes, each importing TensorFlow and compiling four models
def test_models_trained_on_any_backend_load_on_the_others(tmp_path):
    def run(backend, *args):
        done = subprocess.run(
            [sys.executable, "-c", CROSS, str(tmp_path), *args],
            env=_env(KERAS_BACKEND=backend),
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )
        assert done.returncode == 0, f"{backend}: {done.stderr[-3000:]}"
        return json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])

    saved = {backend: run(backend, "save") for backend in ALL}
    for loaded_on in ALL:
        loaded = run(loaded_on, "load", ",".join(ALL))
        for trained_on in ALL:
            for name, expected in saved[trained_on].items():
                got = loaded[f"{name}_{trained_on}"]
                assert sorted(got) == sorted(expected), name
                for key, want in expected.items():
                    np.testing.assert_allclose(
                        got[key],
                        want,
                        atol=2e-5,
                        rtol=1e-4,
                        err_msg=f"{name} {key}: trained on {trained_on}, loaded on {loaded_on}",
                    )


@pytest.mark.skipif("torch" not in ALL, reason="the torch extra is not installed")
def test_export_on_another_backend_is_refused_with_the_backend_named_and_nothing_written(tmp_path):
    """`rs3l.export` converts through TensorFlow: on torch (where Keras' own ONNX exporter
    fails on the forecaster preset) it says so before writing anything."""
    script = (
        "import rs3l_keras as rs3l, sys\n"
        "model = rs3l.load_pretrained('gru-cpc-ucr').encoder_model()\n"
        "try:\n"
        f"    rs3l.export(model, {str(tmp_path / 'out')!r}, format='onnx')\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=_env(KERAS_BACKEND="torch"), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 3, done.stderr[-3000:]
    assert "format='onnx'" in done.stdout and "'torch'" in done.stdout and "KERAS_BACKEND=tensorflow" in done.stdout
    assert list(tmp_path.iterdir()) == []
