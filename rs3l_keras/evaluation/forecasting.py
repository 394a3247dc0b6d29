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


# -- archives: many series, one forecast each (the global forecaster's protocol) ---------------
ARCHIVE_PROTOCOL = """Forecasting-archive protocol (M1, M3, Tourism; written before the runs it judges).

- Data: `rs3l_keras.data.forecast_archives.load_competition(archive, frequency)`, the official
  train (`x`) / test (`xx`) cut at the official horizons (M3: yearly 6, quarterly 8, monthly 18;
  Tourism: 4, 8, 24). Each model forecasts every test span once, from the whole train part.
- MASE (Hyndman & Koehler, 2006), as GluonTS and Chronos compute it: per series, the forecast's
  MAE over the horizon divided by the in-sample MAE of the seasonal-naive forecast at lag m
  (m = 1 yearly, 4 quarterly, 12 monthly; m = 1 when the train part has no more than m steps;
  a 0 scale is replaced by the smallest positive scale float32 holds, as GluonTS does not), then
  the mean over series. sMAPE: the M3 definition (in %), mean over series. Coverage: the share
  of test values inside the model's central 90% interval.
- Check of the convention: seasonal naive (the last season repeated) must reproduce Chronos'
  published seasonal-naive MASE (DATA.md) to the third decimal.
- Baselines in the same run, computed with statsforecast: SeasonalNaive, AutoETS and AutoTheta
  at season m (their 90% prediction intervals too), plus the published Chronos zero-shot MASE.
- No setting of a model is chosen on M3 or Tourism: the global forecaster's settings and
  checkpoint are chosen on M1's official test parts (M1 is in its training pool only through
  its train parts).
- Retraining with long histories (fixed 2026-11-30, third session, before the run): the preset's
  training windows draw their history length log-uniformly in [8, 96], so fewer than 8% of them
  are as long as what `forecast` reads from a series of 96 steps or more. A second training run
  (`--full-context-share 0.5`: half the windows read 96 steps, cut where that fits; every other
  setting, seed and budget as the preset's) replaces the preset only if its best checkpoint's
  M1 mean MASE is at least 1% below the preset's (1.971, so ≤ 1.951); only then are M3 and
  Tourism scored, once. The idea came from a diagnostic on Tourism quarterly (the preset loses
  to seasonal naive on its long series); the M1 rule alone decides. Inference-time variants were
  also scored on M1 only (no M3 or Tourism value read) and none passed the same 1% rule: shrinking
  the learned correction toward seasonal naive (×0.75: 2.053, ×0.5: 2.233) and averaging the
  quantiles of forecasts from the last 96/64/32 or 96/72/48/24 steps (1.962, 1.961).
- A second validation cut with long histories (fixed 2026-11-30, fourth session, before any
  model was scored on it): M1 has few series longer than 80 steps, so it cannot show whether
  long-history training helps long series. The fpp3 quarterly and monthly test parts (the last
  8 / 18 steps of each series, which the pool leaves out of training; 402 series with a median
  train length of 72, 1,024 with 186) are scored zero-shot from their whole train parts. The
  long-history run (`--full-context-share 0.5`, best checkpoint) replaces the preset only if
  (a) its mean of the two fpp3 mean MASEs is at least 1% below the preset's and (b) its M1 mean
  is at most 1% above the preset's (≤ 1.991). Only then are M3 and Tourism scored, once, and
  the replacement stands whatever they show. No other variant is judged on this cut.
"""


def mase_scale(train, season):
    """In-sample MAE of the seasonal-naive forecast at lag `season` (lag 1 where the series
    has no more than `season` steps; never 0)."""
    train = np.asarray(train, "float64")
    season = season if len(train) > season else 1
    scale = np.abs(train[season:] - train[:-season]).mean() if len(train) > season else 0.0
    return max(scale, float(np.finfo("float32").tiny))


def score_archive(collection, forecasts, lower=None, upper=None):
    """Mean MASE, sMAPE (and 90% coverage when `lower`/`upper` are given) of `forecasts` (one
    array of `horizon` values per series) on a `SeriesCollection`'s test parts."""
    mases, smapes, inside = [], [], []
    for k, (train, test) in enumerate(zip(collection.train, collection.test)):
        f = np.asarray(forecasts[k], "float64")[: len(test)]
        mases.append(np.abs(test - f).mean() / mase_scale(train, collection.season_length))
        smapes.append(metrics.smape(test, f))
        if lower is not None:
            inside.append(np.mean((test >= lower[k][: len(test)]) & (test <= upper[k][: len(test)])))
    result = {"mase": float(np.mean(mases)), "smape": float(np.mean(smapes)), "series": len(mases)}
    if inside:
        result["coverage_90"] = float(np.mean(inside))
    return result


def seasonal_naive_forecasts(collection):
    """The last season of each train part repeated (the last value where the series is
    shorter than one season)."""
    m = collection.season_length
    return [
        metrics.seasonal_naive(train, collection.horizon, m if len(train) >= m else 1) for train in collection.train
    ]


def evaluate_global(model, collection, batch_size=256):
    """`score_archive` of a `GlobalForecaster`'s zero-shot forecasts (median, 90% interval)."""
    out = model.forecast(
        collection.train,
        horizon=collection.horizon,
        season_length=collection.season_length,
        interval=0.9,
        batch_size=batch_size,
    )
    return score_archive(collection, out["mean"], out["lower"], out["upper"])


#: Published zero-shot MASE (Ansari et al. 2024, Chronos, `scripts/evaluation/results/*-zero-shot.csv`
#: of amazon-science/chronos-forecasting; DATA.md): seasonal naive, Chronos-T5-small, Chronos-Bolt-base.
CHRONOS_MASE = {
    "m3_monthly": {"seasonal_naive": 1.146, "chronos_t5_small": 0.886, "chronos_bolt_base": 0.851},
    "m3_quarterly": {"seasonal_naive": 1.425, "chronos_t5_small": 1.279, "chronos_bolt_base": 1.289},
    "m3_yearly": {"seasonal_naive": 3.172, "chronos_t5_small": 3.382, "chronos_bolt_base": 2.907},
    "tourism_monthly": {"seasonal_naive": 1.631, "chronos_t5_small": 1.925, "chronos_bolt_base": 1.528},
    "tourism_quarterly": {"seasonal_naive": 1.699, "chronos_t5_small": 1.762, "chronos_bolt_base": 1.756},
    "tourism_yearly": {"seasonal_naive": 3.552, "chronos_t5_small": 3.988, "chronos_bolt_base": 3.692},
}
#: The statsforecast models of the archive protocol: name → class name in `statsforecast.models`.
STATISTICAL_MODELS = {"seasonal_naive": "SeasonalNaive", "ets": "AutoETS", "theta": "AutoTheta"}
STATSFORECAST_INSTALL = "pip install statsforecast (or `pip install 'rs3l-keras[forecasting]'`)"


def statistical_forecasts(collection, models=tuple(STATISTICAL_MODELS), n_jobs=1):
    """statsforecast's forecasts of every series of `collection` at its season length:
    `{model: {"mean", "lower", "upper"}}` (lists of arrays, 90% intervals). A series too short
    for the model's seasonal form is fitted by statsforecast's own fallbacks."""
    import importlib.util

    if importlib.util.find_spec("statsforecast") is None:
        raise ModuleNotFoundError(
            f"The statistical baselines need the package 'statsforecast': {STATSFORECAST_INSTALL}."
        )
    import pandas as pd
    import statsforecast
    from statsforecast import models as sf_models

    m = collection.season_length
    instances = [getattr(sf_models, STATISTICAL_MODELS[name])(season_length=m) for name in models]
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(len(collection)), [len(x) for x in collection.train]),
            "ds": np.concatenate([np.arange(len(x)) for x in collection.train]),
            "y": np.concatenate(collection.train).astype("float64"),
        }
    )
    engine = statsforecast.StatsForecast(models=instances, freq=1, n_jobs=n_jobs)
    out = engine.forecast(df=frame, h=collection.horizon, level=[90]).sort_values(["unique_id", "ds"])
    result = {}
    for name, model in zip(models, instances):
        column = str(model)

        def per_series(key):
            return list(out[key].to_numpy().reshape(len(collection), collection.horizon))

        result[name] = {
            "mean": per_series(column),
            "lower": per_series(f"{column}-lo-90"),
            "upper": per_series(f"{column}-hi-90"),
        }
    return result


#: The six collections of the archive benchmark (`ARCHIVE_PROTOCOL`).
BENCHMARK_COLLECTIONS = (
    ("M3", "yearly"),
    ("M3", "quarterly"),
    ("M3", "monthly"),
    ("Tourism", "yearly"),
    ("Tourism", "quarterly"),
    ("Tourism", "monthly"),
)


def archive_benchmark(models, collections=BENCHMARK_COLLECTIONS, baselines=tuple(STATISTICAL_MODELS), n_jobs=1):
    """`ARCHIVE_PROTOCOL` for `models` (`{name: GlobalForecaster}`, zero-shot) beside our own
    seasonal naive (the convention check), the statsforecast `baselines` and the published
    Chronos MASE, on each `(archive, frequency)` of `collections`.

    Returns `{collection name: {"horizon", "season_length", "series", "scores": {row: scores},
    "published": {...}, "seconds": {row: s}}}`."""
    import time

    from rs3l_keras.data import forecast_archives

    results = {}
    for archive, frequency in collections:
        collection = forecast_archives.load_competition(archive, frequency)
        scores, seconds = {}, {}
        start = time.time()
        scores["seasonal_naive (ours)"] = score_archive(collection, seasonal_naive_forecasts(collection))
        if baselines:
            start = time.time()
            for name, out in statistical_forecasts(collection, baselines, n_jobs=n_jobs).items():
                scores[f"{name} (statsforecast)"] = score_archive(collection, out["mean"], out["lower"], out["upper"])
            seconds["statsforecast"] = round(time.time() - start, 1)
        for name, model in models.items():
            start = time.time()
            scores[name] = evaluate_global(model, collection)
            seconds[name] = round(time.time() - start, 1)
        results[collection.name] = {
            "horizon": collection.horizon,
            "season_length": collection.season_length,
            "series": len(collection),
            "scores": scores,
            "published_chronos_mase": CHRONOS_MASE.get(collection.name, {}),
            "seconds": seconds,
        }
    return results


def archive_table(results, rows=None):
    """A Markdown table of `archive_benchmark`'s MASE / sMAPE / 90% coverage, one line per
    collection and row, with the published Chronos MASE beside."""
    lines = [
        "| collection | h | m | model | MASE | sMAPE | 90% coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        for row, s in result["scores"].items():
            if rows is not None and row not in rows:
                continue
            coverage = f"{s['coverage_90']:.3f}" if "coverage_90" in s else "–"
            lines.append(
                f"| {name} | {result['horizon']} | {result['season_length']} | {row} | {s['mase']:.3f} | "
                f"{s['smape']:.2f} | {coverage} |"
            )
        for row, mase in result["published_chronos_mase"].items():
            lines.append(
                f"| {name} | {result['horizon']} | {result['season_length']} | {row} (published) | {mase:.3f} | – | – |"
            )
    return "\n".join(lines)


def evaluate_series(model, name, train, test):
    """`evaluate` for a `GlobalForecaster` (univariate, no covariates): its forecast of the
    target channel of `test` from that of `train`, at the protocol's MASE season."""
    season = PROTOCOLS[name]["mase_season"]
    history, y = train[:, 0], test[:, 0]
    out = model.forecast(history, horizon=len(y), season_length=season, interval=0.9)
    return {
        "smape": metrics.smape(y, out["mean"]),
        "mase": metrics.mase(y, out["mean"], history, season),
        "coverage_90": float(np.mean((y >= out["lower"]) & (y <= out["upper"]))),
    }
