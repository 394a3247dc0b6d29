import numpy as np
import pytest

from rs3l_keras.data import ucr_archive
from rs3l_keras.evaluation import ucr


def test_raw_features_are_z_scored_and_resampled():
    series = [np.linspace(0, 10, 50, dtype="float32")[:, None], np.full((7, 1), 3.0, "float32")]
    features = ucr.raw_features(series, 20)
    assert features.shape == (2, 20)
    assert abs(features[0].mean()) < 1e-5 and features[0].std() == pytest.approx(1.0, abs=0.05)
    assert np.all(features[1] == 0)  # a constant series has no shape


def test_raw_series_baseline_learns_ecg200_and_reports_its_protocol():
    result = ucr.raw_baseline("ECG200", seed=0)
    majority = np.bincount(ucr_archive.load("ECG200", "test")[1]).max() / 100
    assert result["accuracy"] > majority + 0.1 and result["cv_repeats"] == 5 and result["num_test"] == 100


def test_selection_never_uses_a_held_out_set():
    with pytest.raises(ValueError, match="must not contain held-out benchmark sets"):
        ucr.selection_score(model=None, names=("CBF", "ECG200"))
    assert not set(ucr.SELECTION_SETS) & set(ucr_archive.excluded_from_pretraining())


def test_summary_counts_wins_and_the_gain_over_the_untrained_control():
    row = {"pretrained": [0.8, 0.82], "untrained": [0.7, 0.7], "raw_lr": [0.6, 0.6]}
    published = {"1NN-DTW": 0.75, "ROCKET": 0.9, "ResNet": 0.85, "InceptionTime": 0.88}
    results = {"A": {**row, "published": published}, "B": {**row, "published": {**published, "1NN-DTW": 0.9}}}
    s = ucr.summary(results)
    assert s["beats_1nn_dtw"] == 1 and s["beats_rocket"] == 0
    assert s["gain_over_untrained_points"] == pytest.approx(11.0)
    assert "| **mean** | **0.810** |" in ucr.markdown_table(results)
