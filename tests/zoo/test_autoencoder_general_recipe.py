"""`zoo/recipes/lstm_autoencoder_general.py` (the anomaly benchmark's pretrained general
autoencoder, not a registered preset): a short run learns on the UCR TRAIN pool, writes a verified
preset that records its untrained twin beside it and no threshold, never reads a held-out set, and
the benchmark's arms fit and zero-shot it on a new series."""

import json

import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras.data import ucr_archive
from rs3l_keras.evaluation import anomaly as protocol
from tests.helpers import load_script


@pytest.fixture(scope="module")
def recipe():
    return load_script("zoo/recipes/lstm_autoencoder_general.py")


@pytest.fixture(scope="module")
def trained(recipe, tmp_path_factory):
    root = tmp_path_factory.mktemp("general")
    out, work = root / "preset", root / "work"
    args = ["--output", str(out), "--work-dir", str(work), "--steps", "300", "--chunk-steps", "150"]
    recipe.main(args)
    return out, work


def test_a_short_run_learns_and_writes_a_verified_preset_with_its_control(recipe, trained):
    out, work = trained
    state = json.loads((work / "state.json").read_text())
    assert state["chunks"] == 2 and len(state["losses"]) == 2
    meta = rs3l.preset_metadata(str(out))  # verified against its own hashes
    model = rs3l.load_pretrained(str(out))
    assert model.normalization == "per_series" and model.anomaly_threshold is None  # no threshold stored
    measured = recipe.zero_shot_report(model)
    for key, value in meta["metrics"].items():
        assert measured[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    control = meta["untrained_control"]
    # 300 steps on other series already reconstruct UCR-135's normal part far better than fresh weights.
    assert measured["ucr135_normal_reconstruction_mse"] < 0.5 * control["ucr135_normal_reconstruction_mse"]
    assert {"ECG200", "ECG5000"} <= set(meta["data"]["excluded"]) == set(ucr_archive.excluded_from_pretraining())


def test_windows_are_contiguous_steps_of_one_series(recipe):
    pool = {name: [np.arange(100, dtype="float32")[:, None], np.zeros((10, 1), "float32")] for name in "AB"}
    windows = recipe.draw(pool, 6, 24, np.random.default_rng(0))  # the 10-step series are too short
    assert windows.shape == (6, 24, 1) and np.all(np.diff(windows[..., 0], axis=1) == 1)


def test_benchmark_arms_fit_and_zero_shot_it_on_a_new_series(trained, monkeypatch):
    out, _ = trained
    normal, test, labels = protocol.load_series("yahoo")
    window = protocol.WINDOWS["yahoo"]
    zero_shot = protocol.autoencoder_general_zero_shot(normal, window, preset=str(out))
    assert zero_shot.sequence_length == window and zero_shot.threshold_info["calibration_steps"] == 100
    control = protocol.autoencoder_general_zero_shot(normal, window, preset=str(out), weights=False)
    assert not np.allclose(control.anomaly_scores(test), zero_shot.anomaly_scores(test))  # fresh weights
    monkeypatch.setitem(protocol.CONFIG, "steps", 8)  # a few steps: this checks the plumbing
    fitted = protocol.autoencoder_general(normal, window, seed=0, preset=str(out))
    start = rs3l.load_pretrained(str(out))
    assert any(not np.allclose(a, b) for a, b in zip(fitted.get_weights(), start.get_weights()))
    assert fitted.detect(test).shape == (len(test),)
