"""The `lstm-autoencoder-ucr135` preset reloads by name and reproduces its recorded numbers."""

import pytest

import rs3l_keras as rs3l
from rs3l_keras import metrics
from rs3l_keras.data import series

NAME = "lstm-autoencoder-ucr135"


def test_preset_reproduces_its_test_f1_with_the_stored_threshold():
    meta = rs3l.preset_metadata(NAME)
    model = rs3l.load_pretrained(NAME)
    assert type(model).__name__ == meta["objective"] == "SequenceAutoencoder"
    recorded = meta["metrics"]
    assert float(model.threshold.numpy()) == pytest.approx(recorded["threshold"], rel=1e-6)
    full, labels = series.load_kdd_tsad_135("test")
    start = len(series.load_kdd_tsad_135("train")[0])
    scores = model.anomaly_scores(full)[start:]
    flagged = model.detect(full)[start:]
    measured = metrics.precision_recall_f1(labels[start:], flagged)
    assert measured["f1"] == pytest.approx(recorded[meta["headline_metric"]], abs=1e-6)
    assert metrics.best_f1(labels[start:], scores)["f1"] == pytest.approx(recorded["test_best_f1"], abs=1e-6)
    assert metrics.top1_hit(labels[start:], scores) and recorded["test_top1_hit"] == 1
    assert measured["f1"] > meta["baselines"]["rolling_zscore_f1"]
