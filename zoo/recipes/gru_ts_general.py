"""Recipe of `gru-ts-general`: a univariate GRU series encoder pretrained on the TRAIN splits
of the UCR archive (issue 17), CPU-reproducible on the torch backend's fused GRU.

Steps (each resumable; `bash zoo/recipes/gru-ts-general.sh` runs them in order):

    python zoo/recipes/gru_ts_general.py select   # objective chosen on train-split CV only
    python zoo/recipes/gru_ts_general.py train    # the chosen objective on the whole pool
    python zoo/recipes/gru_ts_general.py save     # writes zoo/gru-ts-general (+ benchmark)

Data: `ucr_archive.pretraining_pool()`: the TRAIN split of every archive set except the 15
held-out sets (12 benchmark sets and the 3 univariate sets of the earlier probe results)
and their siblings; no TEST file is opened. Each epoch draws one random window of at most
256 steps from every series (17,059 series, 72 sets), batched by similar length.

`select` trains each candidate for the same wall-clock budget on the pool without the
`SELECTION_SETS` and scores it (and its untrained twin) by the default probe's 5-fold CV
accuracy on those sets' train splits; the candidate with the larger gain over its untrained
twin is trained (the issue's bar is the margin over the untrained control).
"""

import argparse
import json
import os
import pathlib
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rs3l_keras import RNNBackbone  # noqa: E402
from rs3l_keras.data import ucr_archive  # noqa: E402
from rs3l_keras.evaluation import ucr  # noqa: E402
from rs3l_keras.objectives.contrastive import ContrastiveEncoder  # noqa: E402
from rs3l_keras.objectives.cpc import CPC  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNS = ROOT / "runs" / "gru-ts-general"
MAX_LENGTH = 256
BATCH_SIZE = 64
HIDDEN = 128


def build(objective, seed):
    """The candidate networks: a 1x128 GRU on per-series z-scored input."""
    keras.utils.set_random_seed(seed)
    if objective == "cpc":
        model = CPC(
            RNNBackbone(input_dim=64, cell="gru", hidden_dim=HIDDEN),
            prediction_steps=4,
            sequence_length=MAX_LENGTH,
            normalization="per_series",
            name="cpc",
        )
    elif objective == "contrastive":
        model = ContrastiveEncoder(
            RNNBackbone(input_dim=1, cell="gru", hidden_dim=HIDDEN), normalization="per_series", name="contrastive"
        )
    else:
        raise ValueError(f"`objective` must be 'cpc' or 'contrastive', received {objective!r}.")
    model.normalizer.adapt([])  # per-series statistics: nothing to fit
    return model


def compile_model(model, total_steps):
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=max(total_steps, 1), alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule, global_clipnorm=1.0))


def epoch_dataset(model, pool, seed, epoch):
    """One epoch of length-bucketed batches as a `tf.data.Dataset` (windows drawn in numpy)."""
    import tensorflow as tf

    rng = np.random.default_rng([seed, epoch])
    windows = ucr_archive.pretraining_windows(pool, MAX_LENGTH, rng)
    transform = model._two_views if isinstance(model, ContrastiveEncoder) else None
    batches = list(ucr_archive.length_bucketed_batches(windows, BATCH_SIZE, rng, transform))
    return tf.data.Dataset.from_generator(
        lambda: iter(batches), output_signature=tf.TensorSpec((None, None, 1), tf.float32)
    ), len(batches)


class TimeBudget(keras.callbacks.Callback):
    """Stops training after `seconds` of wall-clock time."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.start, self.batches = seconds, time.time(), 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if time.time() - self.start > self.seconds:
            self.model.stop_training = True


def select(args):
    held = set(ucr.SELECTION_SETS)
    pool = {k: v for k, v in ucr_archive.pretraining_pool().items() if k not in held}
    results = {}
    for objective in args.candidates:
        untrained = build(objective, args.seed)
        score_untrained, per_set_untrained = ucr.selection_score(untrained)
        model = build(objective, args.seed)
        compile_model(model, total_steps=10_000)
        budget = TimeBudget(args.minutes * 60)
        epoch = 0
        while True:
            data, _ = epoch_dataset(model, pool, args.seed, epoch)
            model.fit(data, epochs=1, verbose=0, callbacks=[budget])
            epoch += 1
            if model.stop_training:
                break
        score, per_set = ucr.selection_score(model)
        results[objective] = {
            "train_cv_accuracy": score,
            "untrained_train_cv_accuracy": score_untrained,
            "per_set": per_set,
            "per_set_untrained": per_set_untrained,
            "batches": budget.batches,
            "minutes": args.minutes,
        }
        print(objective, json.dumps(results[objective]), flush=True)
    chosen = max(results, key=lambda k: results[k]["train_cv_accuracy"] - results[k]["untrained_train_cv_accuracy"])
    out = {"chosen": chosen, "rule": "largest train-CV gain over its untrained twin", "candidates": results}
    (RUNS / "selection.json").write_text(json.dumps(out, indent=2))
    print("chosen:", chosen)


def train(args):
    pool = ucr_archive.pretraining_pool()
    state_path, model_path = RUNS / "state.json", RUNS / "checkpoint.keras"
    start_epoch = 0
    if args.resume and state_path.exists():
        state = json.loads(state_path.read_text())
        model = keras.models.load_model(model_path)
        start_epoch = state["epoch"] + 1
        print(f"resuming after epoch {state['epoch']}", flush=True)
    else:
        model = build(args.objective, args.seed)
        steps_per_epoch = epoch_dataset(model, pool, args.seed, 0)[1]
        compile_model(model, total_steps=steps_per_epoch * args.epochs)
    for epoch in range(start_epoch, args.epochs):
        start = time.time()
        data, steps = epoch_dataset(model, pool, args.seed, epoch)
        history = model.fit(data, epochs=1, verbose=0)
        logs = {k: float(v[-1]) for k, v in history.history.items()}
        tmp = RUNS / "checkpoint.tmp.keras"
        model.save(tmp)
        os.replace(tmp, model_path)
        record = {"epoch": epoch, "objective": args.objective, "seed": args.seed, "steps": steps,
                  "seconds": time.time() - start, **logs}  # fmt: skip
        state_path.write_text(json.dumps(record))
        with open(RUNS / "log.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)


def benchmark(args):
    """The benchmark of `evaluation.ucr`, one JSON file per set (an interrupted run resumes;
    `--part i --parts k` takes every k-th set, so k processes share the sets)."""
    state = json.loads((RUNS / "state.json").read_text())
    model = keras.models.load_model(RUNS / "checkpoint.keras")
    names = args.names or (ucr_archive.BENCHMARK_SETS + ucr.EARLIER_SETS)[args.part :: args.parts]
    (RUNS / "benchmark").mkdir(exist_ok=True)
    for name in names:
        path = RUNS / "benchmark" / f"{name}.json"
        if path.exists():
            continue
        start = time.time()
        row = ucr.benchmark(model, lambda seed: build(state["objective"], seed), names=(name,), log=print)[name]
        row["minutes"] = (time.time() - start) / 60
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(row, indent=1))
        os.replace(tmp, path)


def save(args):
    """Benchmarks the trained encoder (12 held-out sets + the 5 earlier ones, 3 seeds, untrained
    twin and raw-series baseline in the same run) and writes the preset with its numbers."""
    from rs3l_keras.zoo import hub
    from rs3l_keras.zoo.metadata import zoo_metadata

    names = ucr_archive.BENCHMARK_SETS + ucr.EARLIER_SETS
    missing = [n for n in names if not (RUNS / "benchmark" / f"{n}.json").exists()]
    if missing:
        raise SystemExit(f"run `benchmark` first: no result for {missing}")
    results = {n: json.loads((RUNS / "benchmark" / f"{n}.json").read_text()) for n in names}
    state = json.loads((RUNS / "state.json").read_text())
    model = keras.models.load_model(RUNS / "checkpoint.keras")
    objective = state["objective"]
    held_out = {n: results[n] for n in ucr_archive.BENCHMARK_SETS}
    summary = ucr.summary(held_out)
    record = {
        "command": "python zoo/recipes/gru_ts_general.py benchmark (--part 0 --parts 2 and --part 1 --parts 2), then save",
        "minutes": sum(r["minutes"] for r in results.values()),
        "summary_12": summary,
        "summary_earlier_5": ucr.summary({n: results[n] for n in ucr.EARLIER_SETS}),
        "results": results,
        "training": json.loads((RUNS / "log.jsonl").read_text().splitlines()[-1]),
    }
    (ROOT / "benchmarks" / "ucr_general.json").write_text(json.dumps(record, indent=2) + "\n")
    print(ucr.markdown_table(held_out))
    print(ucr.markdown_table({n: results[n] for n in ucr.EARLIER_SETS}))
    print(json.dumps(summary, indent=2))
    log = [json.loads(line) for line in (RUNS / "log.jsonl").read_text().splitlines()]
    selection = json.loads((RUNS / "selection.json").read_text())
    pool = ucr_archive.pretraining_pool()
    metrics = {f"{n}_probe_accuracy": float(np.mean(results[n]["pretrained"])) for n in names}
    metrics["mean_probe_accuracy_12"] = summary["mean"]["pretrained"]
    metrics["mean_untrained_probe_accuracy_12"] = summary["mean"]["untrained"]
    metrics["gain_over_untrained_points_12"] = summary["gain_over_untrained_points"]
    metrics["beats_1nn_dtw_of_12"] = summary["beats_1nn_dtw"]
    hub.save_pretrained(
        model,
        args.output,
        metrics=metrics,
        metadata=zoo_metadata(
            **{
                "description": f"Univariate GRU 1x{HIDDEN} series encoder ({objective}) pretrained on the TRAIN splits of "
                f"{len(pool)} UCR archive sets ({sum(map(len, pool.values())):,} series); per-series z-scored input, "
                "any length; multivariate series are embedded channel by channel.",
                "headline_metric": "mean_probe_accuracy_12",
                "benchmark_table": f"Held-out sets (never seen in pretraining), test accuracy, mean ± std over seeds "
                f"0-2:\n\n{ucr.markdown_table(held_out)}\n\nBeats 1NN-DTW on {summary['beats_1nn_dtw']} of 12; "
                f"{summary['gain_over_untrained_points']:+.1f} points over the untrained network; "
                f"at or above ROCKET on {summary['beats_rocket']} of 12.\n\nThe five sets of the earlier probe "
                f"results:\n\n{ucr.markdown_table({n: results[n] for n in ucr.EARLIER_SETS})}",
                "pooling": "last+mean+max",
                "recipe": "bash zoo/recipes/gru-ts-general.sh",
                "command": "python zoo/recipes/gru_ts_general.py save",
                "intended_use": "Frozen feature extractor for univariate (or channel-wise multivariate) time series: "
                "classification probes, clustering, retrieval; raw values in, per-series normalisation inside the model.",
                "license": "Apache-2.0",
                "data": {
                    "name": "UCR archive 2018, TRAIN splits only",
                    "source": ucr_archive.INSTALL,
                    "sets": sorted(pool),
                    "num_series": sum(map(len, pool.values())),
                    "excluded": list(ucr_archive.excluded_from_pretraining()),
                    "split": "train (labels unused); no TEST file is read",
                    "license": "UCR archive: free for research, cite Dau et al. (2019)",
                },
                "training": {
                    "objective": objective,
                    "selection": selection,
                    "epochs": len(log),
                    "steps": int(sum(r["steps"] for r in log)),
                    "minutes": sum(r["seconds"] for r in log) / 60,
                    "final_loss": log[-1].get("loss"),
                    "machine": "2 shared x86-64 CPU cores, torch backend (fused GRU), 1 thread",
                    "windows": f"one random window of at most {MAX_LENGTH} steps per series and epoch, batch {BATCH_SIZE}",
                },
                "evaluation": ucr.__doc__.split("Protocol (written before the runs it judges):")[1].strip(),
                "results_table": {
                    n: {
                        "probe_accuracy": results[n]["pretrained"],
                        "untrained": results[n]["untrained"],
                        "raw_lr": results[n]["raw_lr"],
                        **results[n]["published"],
                    }
                    for n in names
                },  # fmt: skip
            }
        ),
    )
    print("wrote", args.output)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("select")
    p.add_argument("--candidates", nargs="+", default=["cpc", "contrastive"])
    p.add_argument("--minutes", type=float, default=6.0)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("train")
    p.add_argument("--objective", choices=["cpc", "contrastive"], default=None, help="default: selection.json")
    p.add_argument("--epochs", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true")
    p = sub.add_parser("benchmark")
    p.add_argument("--part", type=int, default=0)
    p.add_argument("--parts", type=int, default=1)
    p.add_argument("--names", nargs="+", help="these sets only (default: the part's share of all)")
    p = sub.add_parser("save")
    p.add_argument("--output", default=str(ROOT / "zoo" / "gru-ts-general"))
    args = parser.parse_args()
    RUNS.mkdir(parents=True, exist_ok=True)
    if args.command == "select":
        select(args)
    elif args.command == "benchmark":
        benchmark(args)
    elif args.command == "save":
        save(args)
    else:
        if args.objective is None:
            args.objective = json.loads((RUNS / "selection.json").read_text())["chosen"]
        train(args)


if __name__ == "__main__":
    main()
