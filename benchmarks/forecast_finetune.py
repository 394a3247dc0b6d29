"""The global forecaster on single series: zero-shot, fine-tuned on the series' training part,
and the single-series `Forecaster` trained from scratch (benchmarks/forecasting.py's settings),
all in one run, on the hold-outs of `rs3l_keras.evaluation.forecasting.PROTOCOLS`.

    KERAS_BACKEND=torch OMP_NUM_THREADS=1 python -m benchmarks.forecast_finetune \
        --model zoo/lstm-forecaster-global --datasets airline co2 --seeds 0 1 2

Fine-tuning settings are fixed before the run (not tuned on any test span): Adam at
`--learning-rate` 3e-4 (a third of pretraining's 1e-3), `--steps` 150 batches of 32 random
windows of the training part at the test horizon, season length of the protocol.

Held-out guard (fixed 2026-11-30, fourth session, before its runs): fine-tuning at these
settings hurt on airline, so a second arm, `fine-tuned (holdout)`, calls
`fit(..., holdout=True, epochs=5, steps_per_epoch=steps // 5)`: the number of epochs (0-5,
0 = zero-shot) is chosen on the last horizon of the training part, then the model is
fine-tuned on the whole training part for that many epochs. It is judged first on M1's
validation cut, never on airline or CO2 (`--m1-validation`): a seeded sample (seed 0) of 25
monthly and 25 quarterly M1 series whose train part has at least 2 x horizon + 8 steps,
horizon 18 / 8 (official), season 12 / 4, fine-tuning seed 0, mean MASE on the official M1
test parts, zero-shot / plain / holdout arms. `holdout=True` becomes the default of
`GlobalForecaster.fit` only if its mean MASE there is below the plain arm's; the airline
and CO2 rows of every arm are then scored once.
"""

import argparse
import json
import os
import pathlib
import time

import keras
import numpy as np

from benchmarks import forecasting as single_series
from benchmarks.forecast_archives import load
from rs3l_keras.evaluation.forecasting import PROTOCOLS, baselines, evaluate_series, split

#: The fine-tuning arms: name -> `fit(holdout=...)`.
ARMS = {"fine-tuned": False, "fine-tuned (holdout)": True}


def finetuned(args, series, season, horizon, seed, holdout):
    """The model fine-tuned on `series` by the protocol's settings (see the docstring)."""
    keras.utils.set_random_seed(seed)
    model = load(args.model)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate, global_clipnorm=1.0))
    epochs = 5 if holdout else 1
    model.fit(
        series,
        season_length=season,
        horizon=horizon,
        batch_size=args.batch_size,
        steps_per_epoch=args.steps // epochs,
        epochs=epochs,
        seed=seed,
        holdout=holdout,
        verbose=0,
    )
    return model


def m1_validation(args):
    """The guard's judgement on M1 (see the docstring); writes `--output`."""
    from rs3l_keras.data import forecast_archives
    from rs3l_keras.evaluation.forecasting import mase_scale

    rows, start = [], time.time()
    for frequency, season in (("monthly", 12), ("quarterly", 4)):
        collection = forecast_archives.load_competition("M1", frequency)
        horizon = collection.horizon
        eligible = [k for k, t in enumerate(collection.train) if len(t) >= 2 * horizon + 8]
        for k in np.random.default_rng(0).choice(eligible, 25, replace=False):
            train, test = collection.train[k], collection.test[k]
            row = {"frequency": frequency, "series": collection.names[k]}
            zero = load(args.model)
            for arm, model in (
                ("zero-shot", zero),
                *((a, finetuned(args, train, season, horizon, 0, h)) for a, h in ARMS.items()),
            ):
                f = model.forecast(train, horizon=horizon, season_length=season)["mean"]
                row[arm] = float(np.abs(test - f).mean() / mase_scale(train, season))
                if arm == "fine-tuned (holdout)":
                    row["chosen_epochs"] = int(np.argmin(model.holdout_losses))
            rows.append(row)
            print(json.dumps(row), flush=True)
    arms = ["zero-shot", *ARMS]
    means = {a: float(np.mean([r[a] for r in rows])) for a in arms}
    record = {
        "command": "python -m benchmarks.forecast_finetune " + " ".join(os.sys.argv[1:]),
        "mean_mase": means,
        "by_frequency": {
            f: {a: float(np.mean([r[a] for r in rows if r["frequency"] == f])) for a in arms}
            for f in ("monthly", "quarterly")
        },
        "holdout_becomes_default": means["fine-tuned (holdout)"] < means["fine-tuned"],
        "seconds": round(time.time() - start, 1),
        "rows": rows,
    }
    write(args.output, record)
    print(json.dumps({k: v for k, v in record.items() if k != "rows"}, indent=1))


def write(path, record):
    output = pathlib.Path(path)
    output.with_suffix(".tmp").write_text(json.dumps(record, indent=1) + "\n")
    os.replace(output.with_suffix(".tmp"), output)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--datasets", nargs="+", default=["airline", "co2"], choices=["airline", "co2"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--output", default=None, help="default benchmarks/forecast_finetune[_m1_validation].json")
    parser.add_argument("--m1-validation", action="store_true", help="the guard's judgement on M1 (docstring)")
    args = parser.parse_args()
    if args.m1_validation:
        args.output = args.output or "benchmarks/forecast_finetune_m1_validation.json"
        return m1_validation(args)
    args.output = args.output or "benchmarks/forecast_finetune.json"
    results = {}
    for name in args.datasets:
        train, test = split(name)
        season = PROTOCOLS[name]["mase_season"]
        rows = {"zero-shot": [evaluate_series(load(args.model), name, train, test)]}
        for arm, holdout in ARMS.items():
            rows[arm] = []
            for seed in args.seeds:
                start = time.time()
                model = finetuned(args, train[:, 0], season, len(test), seed, holdout)
                result = evaluate_series(model, name, train, test)
                result.update(seed=seed, train_seconds=round(time.time() - start, 1))
                if holdout:
                    result["holdout_losses"] = model.holdout_losses
                rows[arm].append(result)
        scratch, _ = single_series.run(name, args.seeds)
        rows["Forecaster from scratch"] = scratch["runs"]
        results[name] = {"rows": rows, "baselines": baselines(name, train, test), "season": season}
    record = {"command": "python -m benchmarks.forecast_finetune " + " ".join(os.sys.argv[1:]), "results": results}
    write(args.output, record)
    print("| dataset | method | sMAPE (%) | MASE | 90% coverage | seeds |\n|---|---|---|---|---|---|")
    for name, result in results.items():
        for label, runs in result["rows"].items():

            def cell(key, runs=runs):
                values = [r[key] for r in runs]
                return f"{np.mean(values):.2f} ± {np.std(values):.2f}" if len(values) > 1 else f"{values[0]:.3f}"

            seeds = " ".join(str(r.get("seed", "–")) for r in runs)
            print(f"| {name} | {label} | {cell('smape')} | {cell('mase')} | {cell('coverage_90')} | {seeds} |")
        for label, row in result["baselines"].items():
            print(f"| {name} | {label} | {row['smape']:.2f} | {row['mase']:.3f} | | |")


if __name__ == "__main__":
    main()
