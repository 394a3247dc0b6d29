"""Fault injection: SIGKILL during saves and training, non-finite losses, determinism."""

import hashlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import callbacks as cb

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}


def _digest(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def _poison(model):
    kernel = model.lm_head.kernel
    kernel.assign(np.full(kernel.shape, np.nan, "float32"))


def test_non_finite_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path, shakespeare_test):
    from tests.conftest import make_tiny_lm

    lm = make_tiny_lm(shakespeare_test[:20_000])
    text = shakespeare_test[:20_000]
    lm.fit(text, epochs=1, verbose=0, callbacks=[cb.NonFiniteGuard(), cb.AtomicModelCheckpoint(tmp_path)])
    good = {name: _digest(tmp_path / name) for name in ("last.weights.h5", "best.weights.h5")}
    _poison(lm)
    with pytest.raises(cb.NonFiniteLossError, match=r"Non-finite loss \(nan\) at epoch 1, batch 1 \(step 1"):
        lm.fit(text, epochs=2, verbose=0, callbacks=[cb.NonFiniteGuard(), cb.AtomicModelCheckpoint(tmp_path)])
    assert {name: _digest(tmp_path / name) for name in good} == good
    # Even without the guard, non-finite weights never overwrite a checkpoint or a backup.
    checkpoint = cb.AtomicModelCheckpoint(tmp_path)
    checkpoint.set_model(lm)
    checkpoint.on_epoch_end(0, {"loss": 1.0})
    assert {name: _digest(tmp_path / name) for name in good} == good
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("objective", ["language-model", "masked-language-model", "seq2seq", "sequence-vae"])
def test_gradient_clipping_is_on_by_default(char_tokenizer, objective):
    from rs3l_keras.pretrain import build_text_model

    model = build_text_model(objective, char_tokenizer, hidden_dim=8, embedding_dim=4)
    model.compile()
    assert model.optimizer.global_clipnorm == 1.0


DETERMINISM = """
import sys, keras, numpy as np, tensorflow as tf
from rs3l_keras import CharTokenizer, KLAnnealing
from rs3l_keras.data import shakespeare
from rs3l_keras.pretrain import build_text_model, set_determinism
text = shakespeare.load_text("train")[:20_000]
for objective in ["language-model", "masked-language-model", "seq2seq", "sequence-vae"]:
    runs = []
    for _ in range(2):
        set_determinism(5, deterministic=True)
        model = build_text_model(objective, CharTokenizer.fit(text), hidden_dim=16, embedding_dim=8,
                                 sequence_length=32, latent_dim=4)
        model.compile()
        extra = [KLAnnealing(5)] if objective == "sequence-vae" else []
        model.fit(text, batch_size=16, epochs=2, steps_per_epoch=6, seed=5, verbose=0, callbacks=extra)
        runs.append([w.numpy() for w in model.weights])
    same = all(np.array_equal(a, b) for a, b in zip(*runs))
    print(objective, "identical" if same else "DIFFERENT", flush=True)
"""


def test_same_seed_same_weights_for_every_objective():
    result = subprocess.run([sys.executable, "-c", DETERMINISM], capture_output=True, text=True, env=ENV, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4 and all(line.endswith(" identical") for line in lines), lines


def _series_models():
    from rs3l_keras import CPC, ContrastiveEncoder, Forecaster, RecurrentGAN, RNNBackbone, SequenceAutoencoder, finetune

    return {
        "forecaster": lambda: Forecaster(RNNBackbone(input_dim=1, hidden_dim=8), horizon=4, sequence_length=16),
        "sequence-autoencoder": lambda: SequenceAutoencoder(
            RNNBackbone(input_dim=1, hidden_dim=8), code_dim=4, sequence_length=16
        ),
        "contrastive": lambda: ContrastiveEncoder(RNNBackbone(input_dim=1, hidden_dim=8), projection_dim=8),
        "cpc": lambda: CPC(RNNBackbone(input_dim=8, cell="gru", hidden_dim=8), channels=1, prediction_steps=2),
        "recurrent-gan": lambda: RecurrentGAN(RNNBackbone(input_dim=1, cell="gru", hidden_dim=8)),
        "finetuned-classifier": lambda: finetune(
            RNNBackbone(input_dim=1, hidden_dim=8), head="classification", num_classes=2
        ),
    }


SERIES_DETERMINISM = """
import numpy as np
from rs3l_keras.data import series
from rs3l_keras.pretrain import set_determinism
from tests.reliability.test_fault_injection import _series_models
x, y = series.load_ucr("GunPoint", "train")
for name, make in _series_models().items():
    runs = []
    for _ in range(2):
        set_determinism(5, deterministic=True)
        model = make()
        model.compile()
        args = (x, y) if name.startswith("finetuned") else (x,)
        model.fit(*args, batch_size=16, epochs=2, seed=5, verbose=0)
        runs.append([np.array(w) for w in model.weights])
    same = all(np.array_equal(a, b) for a, b in zip(*runs))
    print(name, "identical" if same else "DIFFERENT", flush=True)
"""


def test_same_seed_same_weights_for_every_time_series_objective():
    result = subprocess.run(
        [sys.executable, "-c", SERIES_DETERMINISM],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
        cwd=pathlib.Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 6 and all(line.endswith(" identical") for line in lines), lines


JAX_DETERMINISM = """
import os
from jax._src import xla_bridge
from rs3l_keras.pretrain import set_determinism
set_determinism(3, deterministic=True)
started = xla_bridge.backends_are_initialized()
import jax.numpy as jnp
print(os.environ["XLA_FLAGS"], started, float(jnp.ones(3).sum()))
"""


def test_deterministic_on_jax_asks_xla_for_deterministic_gpu_ops():
    """Before JAX starts, set_determinism adds XLA's GPU flag (XLA on CPU is deterministic as
    it is: the tests above run on JAX too); after a GPU backend started, it refuses."""
    env = {**ENV, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=1"}
    result = subprocess.run(
        [sys.executable, "-c", JAX_DETERMINISM], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    *flags, started, total = result.stdout.strip().splitlines()[-1].split()
    assert flags == ["--xla_force_host_platform_device_count=1", "--xla_gpu_deterministic_ops=true"]
    assert started == "False" and total == "3.0"  # XLA accepted the flag

    import jax
    import keras
    import tensorflow as tf
    from jax._src import xla_bridge

    from rs3l_keras import pretrain

    with pytest.MonkeyPatch.context() as patch:  # TF op determinism would stay on for the session
        patch.setattr(tf.config.experimental, "enable_op_determinism", lambda: None)
        patch.setattr(keras.backend, "backend", lambda: "jax")
        patch.setattr(xla_bridge, "backends_are_initialized", lambda: True)
        patch.setattr(jax, "default_backend", lambda: "gpu")
        patch.delenv("XLA_FLAGS", raising=False)
        with pytest.raises(RuntimeError, match="set XLA_FLAGS=--xla_gpu_deterministic_ops=true"):
            pretrain.set_determinism(3, deterministic=True)
        patch.setenv("XLA_FLAGS", "--xla_gpu_deterministic_ops=true")
        pretrain.set_determinism(3, deterministic=True)  # set by the user before start: fine


@pytest.mark.parametrize("name", list(_series_models()))
def test_gradient_clipping_is_on_by_default_for_series_objectives(name):
    model = _series_models()[name]()
    model.compile()
    optimizers = [
        getattr(model, attr)
        for attr in ("optimizer", "g_optimizer", "d_optimizer")
        if getattr(model, attr, None) is not None
    ]
    assert optimizers and all(opt.global_clipnorm == 1.0 for opt in optimizers)


def test_no_pickle_no_lambda_layers_no_unsafe_loading_in_the_library():
    root = pathlib.Path(rs3l.__file__).parent
    for path in root.rglob("*.py"):
        source = path.read_text()
        for forbidden in ("import pickle", "cPickle", "layers.Lambda", "safe_mode=False", "allow_pickle=True"):
            assert forbidden not in source, f"{forbidden} in {path}"


SAVER = """
import sys, itertools
import rs3l_keras as rs3l
lm = rs3l.load_pretrained(sys.argv[1])
for i in itertools.count():
    rs3l.save_pretrained(lm, sys.argv[2], metrics={"round": i})
    print("saved", i, flush=True)
"""


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.45])
def test_sigkill_during_save_leaves_the_previous_preset_loadable(tiny_preset, tmp_path, delay):
    _, source = tiny_preset
    target = tmp_path / "live-preset"
    proc = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(source), str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENV,
        text=True,
    )
    try:
        assert proc.stdout.readline().startswith("saved 0")  # one complete preset exists
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    meta = rs3l.preset_metadata(target)  # every file verified
    assert isinstance(meta["metrics"]["round"], int)
    assert type(rs3l.load_pretrained(target)).__name__ == "LanguageModel"
    rs3l.save_pretrained(rs3l.load_pretrained(target), target)  # and the next save cleans up
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".live-preset")]


def _pretrain(tmp_path, name, text_file, extra=(), wait=True):
    argv = [
        sys.executable,
        "-m",
        "rs3l_keras.cli",
        "pretrain",
        "--text",
        str(text_file),
        "--hidden-dim",
        "32",
        "--embedding-dim",
        "8",
        "--sequence-length",
        "32",
        "--batch-size",
        "16",
        "--epochs",
        "4",
        "--seed",
        "7",
        "--deterministic",
        "--output",
        str(tmp_path / name),
        *extra,
    ]
    if not wait:
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True)
    result = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _weights(path):
    with h5py.File(path / "model.weights.h5") as f:
        arrays = {}
        f.visititems(lambda n, o: arrays.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return arrays


def test_sigkill_mid_training_then_resume_matches_an_uninterrupted_run(tmp_path, shakespeare_train):
    text_file = tmp_path / "train.txt"
    text_file.write_text(shakespeare_train[:40_000])
    _pretrain(tmp_path, "straight", text_file)

    proc = _pretrain(tmp_path, "resumed", text_file, wait=False)
    backup = tmp_path / "resumed.ckpt" / "backup" / "training_metadata.json"
    deadline = time.time() + 300
    while not (backup.exists() and json.loads(backup.read_text())["epoch"] >= 2):
        assert proc.poll() is None and time.time() < deadline, "training ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.5)  # into epoch 3
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not (tmp_path / "resumed").exists()  # no preset was half-written

    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "rs3l_keras.cli",
            "pretrain",
            "--text",
            str(text_file),
            "--hidden-dim",
            "32",
            "--embedding-dim",
            "8",
            "--sequence-length",
            "32",
            "--batch-size",
            "16",
            "--epochs",
            "4",
            "--seed",
            "7",
            "--deterministic",
            "--output",
            str(tmp_path / "resumed"),
        ],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert again.returncode == 2 and "--resume" in again.stderr  # refuses to silently restart
    result = _pretrain(tmp_path, "resumed", text_file, extra=["--resume"])
    assert "Resumed" in result.stderr and "at epoch" in result.stderr

    straight, resumed = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert straight.keys() == resumed.keys()
    for name in straight:
        np.testing.assert_array_equal(straight[name], resumed[name], err_msg=name)
    meta = rs3l.preset_metadata(tmp_path / "resumed")
    assert "--resume" not in meta["recipe"]


def test_same_seed_same_weights(tmp_path, shakespeare_train):
    text_file = tmp_path / "train.txt"
    text_file.write_text(shakespeare_train[:15_000])
    extra = ["--epochs", "1"]
    _pretrain(tmp_path, "a", text_file, extra)
    _pretrain(tmp_path, "b", text_file, extra)
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
