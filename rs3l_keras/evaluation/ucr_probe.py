"""The UCR/UEA linear-probe protocol of the self-supervised series objectives (T-Loss / TS2Vec
protocol), recorded by the `gru-cpc-ucr` preset and `benchmarks/ucr_probe*.json`.

For each dataset and seed: train the objective on the **train split only, without labels**,
freeze it, embed train and test series, fit a logistic-regression probe on the train labels
(C chosen by cross-validation on the train split only), report test accuracy. Compared with
the published DTW-1NN, T-Loss (K=10) and TS2Vec accuracies (`PUBLISHED_ACCURACY`).
`select_by_train_cv` picks, per dataset and seed, one of several recorded runs by train CV only.

    python benchmarks/ucr_probe.py --objective cpc --seeds 0 1 2 --output benchmarks/ucr_probe_cpc.json
    python benchmarks/ucr_probe.py --objective cpc --preset zoo/gru-cpc-ucr   # pooled univariate preset
    python benchmarks/ucr_probe.py --objective contrastive --output benchmarks/ucr_probe_contrastive.json
    python benchmarks/ucr_probe.py --select benchmarks/ucr_probe_cpc.json benchmarks/ucr_probe_contrastive.json \
        --output benchmarks/ucr_probe_selected.json   # objective per dataset and seed by train CV

Every hyperparameter below was fixed before looking at any test split (see benchmarks/RESULTS.md).
"""

import argparse
import json
import os
import pathlib
import platform
import sys
import time

import keras
import numpy as np

from rs3l_keras.backbones import RNNBackbone
from rs3l_keras.data import series as series_data
from rs3l_keras.finetune.probes import POOLINGS, cv_folds
from rs3l_keras.objectives.contrastive import ContrastiveEncoder
from rs3l_keras.objectives.cpc import CPC

PRESET_SETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "PickupGestureWiimoteZ")


def build(objective, channels, hidden_dim, seed, sequence_length=128):
    keras.utils.set_random_seed(seed)
    if objective == "cpc":
        model = CPC(
            RNNBackbone(input_dim=32, cell="gru", hidden_dim=hidden_dim),
            channels=channels,
            prediction_steps=4,
            kernel_size=3,
            sequence_length=sequence_length,
        )
    else:
        model = ContrastiveEncoder(
            RNNBackbone(input_dim=channels, cell="gru", hidden_dim=hidden_dim),
            projection_dim=64,
            temperature=0.1,
            pooling="mean",
        )
    model.compile()
    return model


def train(model, x, steps, batch_size, seed):
    """`steps` optimiser steps over the (unlabelled) series `x`, in whole epochs."""
    n = len(x)
    per_epoch = -(-n // batch_size)
    epochs = max(1, round(steps / per_epoch))
    model.fit(x, epochs=epochs, batch_size=batch_size, shuffle=True, seed=seed, verbose=0)
    return epochs * per_epoch


def embeddings(model, x, pooling):
    """`rs3l_keras.embed` (equal-length groups, never padded; a list of models, the
    `cpc+contrastive` objective, gives their embeddings side by side)."""
    from rs3l_keras.finetune import embed

    return embed(model, x, pooling=pooling)


def probe(model, train_split, test_split, pooling="auto", seed=0, details=False, cv_repeats=1):
    """Logistic regression on standardised frozen embeddings (as `rs3l_keras.linear_probe`):
    C from {1e-3, …, 1e3} and, with `pooling="auto"`, the pooling from {last, mean}, both
    chosen by stratified 5-fold cross-validation accuracy on the train split only;
    `cv_repeats` > 1 repeats the 5-fold split that many times with different shuffles and
    averages (on 36 training series one 5-fold split is noisy enough to tie C = 0.001 with
    C = 0.1, and ties go to the smallest C).

    Returns `(test accuracy, chosen pooling, CV accuracy)`, or with `details=True` a dict that
    also holds the chosen C and the CV log-loss at it (a tie-breaker for `select_by_train_cv`:
    on small train splits many configurations reach CV accuracy 1.0)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    (x_train, y_train), (x_test, y_test) = train_split, test_split
    folds = min(5, int(np.unique(y_train, return_counts=True)[1].min()))
    splitter = cv_folds(folds, cv_repeats, seed)
    best = None
    for candidate in ("last", "mean") if pooling == "auto" else (pooling,):
        z_train = embeddings(model, x_train, candidate)
        pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, random_state=seed))
        grid = {"logisticregression__C": [1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0]}
        search = GridSearchCV(
            pipe, grid, cv=splitter, scoring={"accuracy": "accuracy", "nll": "neg_log_loss"}, refit="accuracy"
        )
        search.fit(z_train, y_train)
        if best is None or search.best_score_ > best[0] + 1e-9:
            best = (search.best_score_, candidate, search)
    cv_score, chosen, search = best
    accuracy = float((search.predict(embeddings(model, x_test, chosen)) == y_test).mean())
    if details:
        return {
            "accuracy": accuracy,
            "pooling": chosen,
            "train_cv_accuracy": float(cv_score),
            "train_cv_log_loss": float(-search.cv_results_["mean_test_nll"][search.best_index_]),
            "C": float(search.best_params_["logisticregression__C"]),
        }
    return accuracy, chosen, float(cv_score)


def run_dataset(
    name, objective, seeds, steps, batch_size, hidden_dim, pooling, sequence_length=128, cv_repeats=1, log=None
):
    x_train, y_train = series_data.load_ucr(name, "train")
    x_test, y_test = series_data.load_ucr(name, "test")
    channels = (x_train[0] if isinstance(x_train, list) else x_train[0]).shape[-1]
    log = log or (lambda line: None)
    rows = []
    for seed in seeds:
        start = time.time()
        models = []
        for part in objective.split("+"):  # "cpc+contrastive": both, each trained as on its own
            models.append(build(part, channels, hidden_dim, seed, sequence_length))
            done = train(models[-1], x_train, steps, batch_size, seed)
        model = models[0] if len(models) == 1 else models
        result = probe(model, (x_train, y_train), (x_test, y_test), pooling, seed, details=True, cv_repeats=cv_repeats)
        rows.append({"seed": seed, **result, "steps": done, "seconds": round(time.time() - start, 1)})
        if len(models) > 1:  # each member probed alone too: what the pair adds
            rows[-1]["parts"] = {
                part: probe(m, (x_train, y_train), (x_test, y_test), pooling, seed, details=True, cv_repeats=cv_repeats)
                for part, m in zip(objective.split("+"), models)
            }
        log(
            f"{name} {objective} seed={seed} steps={done} pooling={result['pooling']} "
            f"cv={result['train_cv_accuracy']:.3f} cv_nll={result['train_cv_log_loss']:.3f} "
            f"accuracy={result['accuracy']:.4f} ({rows[-1]['seconds']} s)"
            + "".join(f" {k}={v['accuracy']:.4f}" for k, v in rows[-1].get("parts", {}).items())
        )
    accs = np.array([r["accuracy"] for r in rows])
    return {
        "dataset": name,
        "objective": objective,
        "runs": rows,
        "mean": float(accs.mean()),
        "std": float(accs.std(ddof=0)),
        "published": series_data.PUBLISHED_ACCURACY.get(name),
        "config": {
            "hidden_dim": hidden_dim,
            "steps": steps,
            "batch_size": batch_size,
            "pooling": pooling,
            "sequence_length": sequence_length,
            "cv_repeats": cv_repeats,
            "backend": keras.backend.backend(),
        },
    }


def pooled_univariate(names):
    """The train splits of univariate sets, as one list of unequal-length series."""
    series = []
    for name in names:
        x, _ = series_data.load_ucr(name, "train")
        series += [np.asarray(s, "float32") for s in x]
    return series


def train_preset(args, log):
    from rs3l_keras.zoo import save_pretrained

    sets = args.preset_sets
    x = pooled_univariate(sets)
    model = build(args.objective, 1, args.hidden_dim, args.seeds[0])
    start = time.time()
    done = train(model, x, args.preset_steps, args.batch_size, args.seeds[0])
    minutes = (time.time() - start) / 60
    metrics, table = {}, {}
    for name in series_data.UNIVARIATE_UCR:
        train_split, test_split = series_data.load_ucr(name, "train"), series_data.load_ucr(name, "test")
        accuracy, chosen, cv = probe(model, train_split, test_split, args.pooling, seed=0)
        metrics[f"{name}_probe_accuracy"] = accuracy
        table[name] = {
            "probe_accuracy": accuracy,
            "pooling": chosen,
            "train_cv_accuracy": cv,
            **series_data.PUBLISHED_ACCURACY[name],
        }
        log(f"preset {name} accuracy={accuracy:.4f}")
    name = pathlib.Path(args.preset).name
    kind = "CPC" if args.objective == "cpc" else "NT-Xent"
    metadata = {
        "description": (
            f"Univariate GRU 1x{args.hidden_dim} series encoder trained with {kind} on the pooled "
            f"train splits of {', '.join(sets)} ({len(x)} series); embeds any univariate series of any length."
        ),
        "recipe": f"bash zoo/recipes/{name}.sh",
        "command": " ".join(["python benchmarks/ucr_probe.py", *sys.argv[1:]]),
        "sequence_length": None,
        "data": {
            "name": "+".join(sets),
            "source": "UCR time-series archive via aeon==1.6.0 load_classification",
            "license": "UCR archive: free for research use, cite Dau et al. (2019)",
            "split": "train (labels unused)",
            "num_series": len(x),
        },
        "training": {
            "seed": args.seeds[0],
            "steps": done,
            "batch_size": args.batch_size,
            "optimizer": "Adam(1e-3, global_clipnorm=1.0)",
            "minutes": round(minutes, 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPU",
        },
        "intended_use": "Frozen feature extractor for univariate time series (classification probes, clustering, retrieval); "
        "raw values in, normalisation is inside the model. Not for forecasting.",
        "license": "Apache-2.0",
        "headline_metric": "ItalyPowerDemand_probe_accuracy",
        "evaluation": (
            f"Linear probe: `{args.pooling}` pooling of the frozen GRU states (auto = last or mean, chosen by CV "
            "on the train split), standardised, logistic regression with C from {1e-3..1e3} by 5-fold CV "
            "on the train split; test accuracy. "
            "Published columns: DTW-1NN, T-Loss (K=10), TS2Vec."
        ),
        "pooling": args.pooling,
        "results_table": table,
    }
    path = save_pretrained(model, args.preset, metrics=metrics, metadata=metadata)
    log(f"saved {path}")


def attach_results(preset, results, log):
    """Copies the per-dataset models' accuracies (a `--output` JSON) into the preset's
    results table, next to its own probe accuracies (metadata.json and model card)."""
    from rs3l_keras.zoo.hub import update_metadata

    meta = json.loads((pathlib.Path(preset) / "metadata.json").read_text())
    table = meta["results_table"]
    for row in json.loads(pathlib.Path(results).read_text()):
        entry = table.setdefault(row["dataset"], dict(row["published"] or {}))
        entry["per_dataset_models"] = f"{row['mean']:.3f} ± {row['std']:.3f} (seeds {[r['seed'] for r in row['runs']]})"
    update_metadata(preset, {"results_table": table})
    log(f"attached {results} to {preset}")


def _label(row):
    """The name a result file's runs go by in a selection: the objective, the pooling when the
    file records a non-default one, and the hidden size when it is not 64."""
    config = row.get("config") or {}
    label = row["objective"]
    if config.get("pooling", "auto") != "auto":
        label += f"/{config['pooling']}"
    if config.get("hidden_dim", 64) != 64:
        label += f"/h{config['hidden_dim']}"
    return label


def select_by_train_cv(*paths):
    """Per dataset and seed, the run (of several result files with the same datasets and seeds:
    objectives or probe configurations) whose probe had the highest 5-fold CV accuracy on the
    train split; ties go to the lower train-CV log-loss when every candidate records one, else
    to the earlier file. No test number enters the choice. Returns rows shaped like
    `run_dataset`'s, each run naming its source (`objective`)."""
    if len(paths) < 2:
        raise ValueError(f"`--select` needs at least two result files, received {len(paths)}.")
    tables = [json.loads(pathlib.Path(p).read_text()) for p in paths]
    rows = []
    for group in zip(*tables):
        first = group[0]
        for path, row in zip(paths[1:], group[1:]):
            if row["dataset"] != first["dataset"] or [r["seed"] for r in row["runs"]] != [
                r["seed"] for r in first["runs"]
            ]:
                raise ValueError(f"{paths[0]} and {path} must hold the same datasets and seeds in the same order.")
        runs = []
        for candidates in zip(*(row["runs"] for row in group)):
            by_loss = all("train_cv_log_loss" in c for c in candidates)
            best = max(
                range(len(group)),
                key=lambda i: (
                    candidates[i]["train_cv_accuracy"],
                    -candidates[i]["train_cv_log_loss"] if by_loss else 0,
                    -i,
                ),
            )
            runs.append({**candidates[best], "objective": _label(group[best])})
        accs = np.array([r["accuracy"] for r in runs])
        rows.append(
            {
                "dataset": first["dataset"],
                "objective": "chosen by train CV",
                "runs": runs,
                "mean": float(accs.mean()),
                "std": float(accs.std(ddof=0)),
                "published": first["published"],
            }
        )
    return rows


def _print(line):
    print(line, flush=True)


def main(argv=None):
    """Command line of `benchmarks/ucr_probe.py`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--objective",
        choices=("cpc", "contrastive", "cpc+contrastive"),
        default="cpc",
        help="cpc+contrastive: both models (same seed and steps), embeddings concatenated",
    )
    parser.add_argument("--datasets", nargs="+", default=list(series_data.UCR_DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300, help="optimiser steps per dataset (whole epochs)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--hidden-dim", type=int, default=64)
    parser.add_argument(
        "--pooling",
        default="auto",
        choices=("auto", *POOLINGS),
        help="auto: last or mean, chosen by CV on the train split",
    )
    parser.add_argument(
        "--sequence-length",
        "--max-length",  # its name in the recorded commands
        type=int,
        default=128,
        help="CPC: random training crops of this many steps (0: whole series)",
    )
    parser.add_argument(
        "--cv-repeats",
        type=int,
        default=1,
        help="repeat the probe's 5-fold train CV this many times (shuffled anew) and average",
    )
    parser.add_argument("--output", help="write the per-dataset results as JSON")
    parser.add_argument("--preset", help="instead: train the pooled univariate preset into this folder")
    parser.add_argument("--preset-sets", nargs="+", default=list(PRESET_SETS))
    parser.add_argument("--preset-steps", type=int, default=1500)
    parser.add_argument(
        "--attach",
        nargs=2,
        metavar=("PRESET_DIR", "RESULTS_JSON"),
        help="instead: add per-dataset results (an --output JSON) to a preset's metadata",
    )
    parser.add_argument(
        "--select",
        nargs="+",
        metavar="RESULTS_JSON",
        help="instead: per dataset and seed, keep the run with the highest train-CV "
        "accuracy (two or more --output JSONs; ties: lower train-CV log-loss, "
        "else the earlier file)",
    )
    args = parser.parse_args(argv)
    if args.select:
        results = select_by_train_cv(*args.select)
        for r in results:
            print(
                r["dataset"],
                f"{r['mean']:.3f} ± {r['std']:.3f}",
                [(x["objective"], round(x["accuracy"], 3)) for x in r["runs"]],
            )
        if args.output:
            pathlib.Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
        return 0
    if args.attach:
        return attach_results(*args.attach, log=_print)
    if args.preset:
        if "+" in args.objective:
            parser.error(f"--preset trains one model; --objective {args.objective!r} names two.")
        return train_preset(args, log=_print)
    sequence_length = args.sequence_length or None
    results = [
        run_dataset(
            name,
            args.objective,
            args.seeds,
            args.steps,
            args.batch_size,
            args.hidden_dim,
            args.pooling,
            sequence_length,
            args.cv_repeats,
            log=_print,
        )
        for name in args.datasets
    ]
    print(f"\n| dataset | ours ({args.objective}, {args.pooling}) | DTW-1NN | T-Loss | TS2Vec |\n|---|---|---|---|---|")
    for r in results:
        p = r["published"] or {}
        print(
            f"| {r['dataset']} | {r['mean']:.3f} ± {r['std']:.3f} | {p.get('dtw_1nn')} | {p.get('t_loss')} | {p.get('ts2vec') or '–'} |"
        )
    if args.output:
        pathlib.Path(args.output).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
