"""The forecasting protocol the forecaster presets record (and `benchmarks/forecasting.py` runs).

Each series' last `test` steps are held out; a model trained on the rest forecasts the whole
held-out span from the end of the training part, in one go (known-future covariates given over
the span). Scores: sMAPE (%), MASE scaled by the in-sample seasonal-naive MAE at `mase_season`,
and the Gaussian 90% interval coverage, next to the naive and seasonal-naive forecasts.
"""

import numpy as np

from rs3l_keras import metrics
from rs3l_keras.data import series as series_data

#: Per dataset: the held-out steps, the seasons of the naive baselines, the MASE
#: season and the known-future covariate channels (elecdemand: WorkDay, Temperature).
HOLDOUT = series_data.FORECAST_HOLDOUT
PROTOCOLS = {
    "airline": dict(test=HOLDOUT["airline"], naive_seasons=(12,), mase_season=12, covariates=[]),
    "co2": dict(test=HOLDOUT["co2"], naive_seasons=(52,), mase_season=52, covariates=[]),
    "elecdemand": dict(test=HOLDOUT["elecdemand"], naive_seasons=(48, 336), mase_season=48, covariates=[1, 2]),
}
#: `(train, test)`: the series without, and with only, its held-out last steps.
split = series_data.forecast_split


def evaluate(model, name, train, test):
    """sMAPE, MASE and 90% interval coverage of `model`'s forecast of `test` from `train`."""
    protocol = PROTOCOLS[name]
    covariates = test[:, protocol["covariates"]] if protocol["covariates"] else None
    out = model.forecast(train, horizon=len(test), covariates=covariates, interval=0.9)
    y, f = test[:, 0], out["mean"][:, 0]
    result = {"smape": metrics.smape(y, f), "mase": metrics.mase(y, f, train[:, 0], protocol["mase_season"])}
    if "lower" in out:
        result["coverage_90"] = float(np.mean((y >= out["lower"][:, 0]) & (y <= out["upper"][:, 0])))
    return result


def baselines(name, train, test):
    """sMAPE and MASE of the naive and seasonal-naive forecasts of `test`."""
    protocol = PROTOCOLS[name]
    y, history = test[:, 0], train[:, 0]
    rows = {}
    for season in (1, *protocol["naive_seasons"]):
        f = metrics.seasonal_naive(history, len(y), season)
        label = "naive" if season == 1 else f"seasonal naive (m={season})"
        rows[label] = {"smape": metrics.smape(y, f), "mase": metrics.mase(y, f, history, protocol["mase_season"])}
    return rows
