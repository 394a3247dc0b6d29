"""The `lstm-autoencoder-ucr135` preset reloads by name and reproduces its recorded numbers."""

import pytest

import rs3l_keras as rs3l
from rs3l_keras import anomaly, metrics
from rs3l_keras.evaluation import anomaly as protocol

NAME = "lstm-autoencoder-ucr135"


def test_preset_reproduces_its_test_f1_with_the_stored_threshold():
    meta = rs3l.preset_metadata(NAME)
    model = rs3l.load_pretrained(NAME)
    assert type(model).__name__ == meta["objective"] == "SequenceAutoencoder"
    recorded, info = meta["metrics"], meta["anomaly_threshold"]
    assert float(model.threshold.numpy()) == pytest.approx(recorded["threshold"], rel=1e-6)
    # Calibrated with the default of `fit`: the held-out tail pooled with the training head, by
    # the rule the benchmark's calibration run chose for the autoencoder.
    assert info["rule"] == rs3l.SequenceAutoencoder.threshold_rule == "pot_pooled"
    assert info["holdout"] == anomaly.DEFAULT_HOLDOUT and info["training_steps"] + info["calibration_steps"] == 1200
    assert "development series" in info["chosen_by"] and info["threshold"] == recorded["threshold"]
    # Its scores are smoothed by the default span (the benchmark's smoothing rule), as its threshold was set.
    assert (
        info["smoothing"]
        == model.anomaly_smoothing
        == model.sequence_length // rs3l.SequenceAutoencoder.score_smoothing_divisor
    )
    _, test, labels = protocol.load_series("ucr135")  # the test part, scored as the benchmark scores it
    scores = model.anomaly_scores(test)
    flagged = model.detect(test)
    measured = metrics.precision_recall_f1(labels, flagged)
    assert measured["f1"] == pytest.approx(recorded[meta["headline_metric"]], abs=1e-6)
    assert int(flagged.sum()) == recorded["test_flagged"]
    assert metrics.best_f1(labels, scores)["f1"] == pytest.approx(recorded["test_best_f1"], abs=1e-6)
    assert metrics.top1_hit(labels, scores) and recorded["test_top1_hit"] == 1
    assert "| ucr135 | autoencoder |" in meta["benchmark_table"]
    assert "| ucr135 | autoencoder_long_smooth_w4 |" in meta["benchmark_table"]
    assert "Calibration on the training part too" in meta["benchmark_table"]
