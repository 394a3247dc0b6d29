import dataclasses

import numpy as np

from rs3l_keras.data import forecast_archives
from rs3l_keras.evaluation import forecasting


def test_statsforecast_baselines_agree_with_our_seasonal_naive_and_give_intervals():
    m3 = forecast_archives.load_competition("M3", "quarterly")
    subset = dataclasses.replace(m3, train=m3.train[:40], test=m3.test[:40], names=m3.names[:40])
    out = forecasting.statistical_forecasts(subset, models=("seasonal_naive", "ets"))
    ours = forecasting.seasonal_naive_forecasts(subset)
    np.testing.assert_allclose(np.stack(out["seasonal_naive"]["mean"]), np.stack(ours), rtol=1e-6)
    for name, forecast in out.items():
        mean, low, high = (np.stack(forecast[k]) for k in ("mean", "lower", "upper"))
        assert mean.shape == (40, 8) and np.isfinite(mean).all(), name
        assert (low <= mean + 1e-6).all() and (mean <= high + 1e-6).all(), name
    scores = forecasting.score_archive(subset, out["ets"]["mean"], out["ets"]["lower"], out["ets"]["upper"])
    assert scores["series"] == 40 and 0 < scores["coverage_90"] <= 1 and scores["mase"] > 0


def test_mase_scale_falls_back_to_lag_one_and_is_never_zero():
    assert forecasting.mase_scale(np.array([1.0, 2.0, 4.0]), 12) == 1.5  # shorter than a season: lag 1
    assert forecasting.mase_scale(np.array([5.0, 5.0, 5.0]), 1) > 0
