"""The global forecaster on single series: zero-shot, fine-tuned on the series' training part,
and the single-series `Forecaster` trained from scratch (benchmarks/forecasting.py's settings),
all in one run, on the hold-outs of `rs3l_keras.evaluation.forecasting.PROTOCOLS`.

    KERAS_BACKEND=torch OMP_NUM_THREADS=1 python -m benchmarks.forecast_finetune \
        --model zoo/lstm-forecaster-global --datasets airline co2 --seeds 0 1 2

Fine-tuning settings are fixed before the run (not tuned on any test span): Adam at
`--learning-rate` 3e-4 (a third of pretraining's 1e-3), `--steps` 150 batches of 32 random
windows of the training part at the test horizon, season length of the protocol.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--datasets", nargs="+", default=["airline", "co2"], choices=["airline", "co2"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--output", default="benchmarks/forecast_finetune.json")
    args = parser.parse_args()
    results = {}
    for name in args.datasets:
        train, test = split(name)
        season = PROTOCOLS[name]["mase_season"]
        rows = {"zero-shot": [evaluate_series(load(args.model), name, train, test)]}
        rows["fine-tuned"] = []
        for seed in args.seeds:
            keras.utils.set_random_seed(seed)
            model = load(args.model)
            model.compile(optimizer=keras.optimizers.Adam(args.learning_rate, global_clipnorm=1.0))
            start = time.time()
            model.fit(
                train[:, 0],
                season_length=season,
                horizon=len(test),
                batch_size=args.batch_size,
                steps_per_epoch=args.steps,
                seed=seed,
                verbose=0,
            )
            result = evaluate_series(model, name, train, test)
            rows["fine-tuned"].append({**result, "seed": seed, "train_seconds": round(time.time() - start, 1)})
        scratch, _ = single_series.run(name, args.seeds)
        rows["Forecaster from scratch"] = scratch["runs"]
        results[name] = {"rows": rows, "baselines": baselines(name, train, test), "season": season}
    record = {"command": "python -m benchmarks.forecast_finetune " + " ".join(os.sys.argv[1:]), "results": results}
    output = pathlib.Path(args.output)
    output.with_suffix(".tmp").write_text(json.dumps(record, indent=1) + "\n")
    os.replace(output.with_suffix(".tmp"), output)
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
