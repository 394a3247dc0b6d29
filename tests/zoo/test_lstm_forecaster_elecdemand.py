"""The `lstm-forecaster-elecdemand` preset reloads by name and reproduces its recorded numbers."""

import pytest

import rs3l_keras as rs3l
from rs3l_keras import metrics
from rs3l_keras.evaluation import forecasting

NAME = "lstm-forecaster-elecdemand"


def test_preset_reproduces_its_heldout_smape_and_beats_seasonal_naive():
    meta = rs3l.preset_metadata(NAME)
    model = rs3l.load_pretrained(NAME)
    assert type(model).__name__ == meta["objective"] == "Forecaster"
    assert model.covariate_channels == [1, 2] and model.horizon == 1344
    train, test = forecasting.split("elecdemand")
    measured = forecasting.evaluate(model, "elecdemand", train, test)
    recorded = meta["metrics"]
    assert measured["smape"] == pytest.approx(recorded[meta["headline_metric"]], abs=1e-3)
    assert measured["mase"] == pytest.approx(recorded["test_mase"], abs=1e-4)
    assert measured["coverage_90"] == pytest.approx(recorded["test_coverage_90"], abs=1e-3)
    best_naive = min(metrics.smape(test[:, 0], metrics.seasonal_naive(train[:, 0], len(test), m)) for m in (1, 48, 336))
    assert measured["smape"] < best_naive
