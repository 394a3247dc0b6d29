"""Anomaly benchmark: `SequenceAutoencoder` against a rolling z-score on UCR anomaly series 135.

Protocol. `load_kdd_tsad_135("train")` (steps 0–1199) is normal: the autoencoder and its
normaliser are trained on it, and the threshold is a quantile of the per-step scores on it
(`fit_threshold`, quantile 0.99 by default, fixed before looking at the test part; 0.999
and the maximum are reported too). The test part is steps 1200–7500 of the full series
(`load_kdd_tsad_135("test")`), with one labelled anomaly (steps 4187–4198). Numbers:
point-wise precision / recall / F1 of `scores > threshold` on the test part; the best
point-wise F1 over all thresholds (threshold-free, optimistic); and the UCR archive's
rule: does the highest-scoring test step fall within 100 steps of the anomaly. The rolling
z-score (|x_t − mean| / std over the previous 100 steps) gets the same threshold rule.

    python -m benchmarks.anomaly                 # seeds 0 1 2
    python -m benchmarks.anomaly --seeds 0 --save-preset zoo/lstm-autoencoder-ucr135
"""

import argparse
import hashlib
import json
import time

import keras
import numpy as np

from rs3l_keras import metrics
from rs3l_keras.backbones import RNNBackbone
from rs3l_keras.data import series as series_data
from rs3l_keras.objectives.sequence_autoencoder import SequenceAutoencoder

CONFIG = dict(
    hidden_dim=64,
    code_dim=16,
    window_length=32,
    window_stride=1,
    epochs=30,
    batch_size=32,
    learning_rate=3e-3,
    quantile=0.99,
    zscore_window=100,
)
QUANTILES = (0.99, 0.999, 1.0)


def load():
    normal, _ = series_data.load_kdd_tsad_135("train")
    full, labels = series_data.load_kdd_tsad_135("test")
    return normal, full, labels, len(normal)


def report(scores, train_scores, labels, test_start):
    test_scores, test_labels = scores[test_start:], labels[test_start:]
    row = {
        "best_f1": metrics.best_f1(test_labels, test_scores)["f1"],
        "top1_hit": metrics.top1_hit(test_labels, test_scores),
        "peak_step": int(np.argmax(test_scores)) + test_start,
    }
    for q in QUANTILES:
        threshold = float(np.quantile(train_scores, q))
        prf = metrics.precision_recall_f1(test_labels, test_scores > threshold)
        row[f"q{q}"] = {"threshold": threshold, "flagged": int((test_scores > threshold).sum()), **prf}
    return row


def zscore_baseline():
    normal, full, labels, start = load()
    window = CONFIG["zscore_window"]
    return report(metrics.rolling_zscore(full, window), metrics.rolling_zscore(normal, window), labels, start)


def train(seed, verbose=0):
    normal, full, labels, start = load()
    keras.utils.set_random_seed(seed)
    model = SequenceAutoencoder(
        RNNBackbone(input_dim=1, hidden_dim=CONFIG["hidden_dim"]),
        code_dim=CONFIG["code_dim"],
        window_length=CONFIG["window_length"],
        window_stride=CONFIG["window_stride"],
    )
    model.compile(optimizer=keras.optimizers.Adam(CONFIG["learning_rate"], global_clipnorm=1.0))
    begin = time.time()
    history = model.fit(normal, epochs=CONFIG["epochs"], batch_size=CONFIG["batch_size"], seed=seed, verbose=verbose)
    seconds = time.time() - begin
    model.fit_threshold(normal, quantile=CONFIG["quantile"])
    row = report(model.anomaly_scores(full), model.anomaly_scores(normal), labels, start)
    row.update(seed=seed, train_seconds=round(seconds, 1), final_loss=float(history.history["loss"][-1]))
    return model, row


def table(runs, baseline):
    def line(name, rows):
        cells = []
        for q in QUANTILES:
            p, r, f = (np.mean([row[f"q{q}"][k] for row in rows]) for k in ("precision", "recall", "f1"))
            cells.append(f"{p:.3f} / {r:.3f} / {f:.3f}")
        best = np.mean([row["best_f1"] for row in rows])
        hits = sum(row["top1_hit"] for row in rows)
        return f"| {name} | " + " | ".join(cells) + f" | {best:.3f} | {hits}/{len(rows)} |"

    head = " | ".join(f"P / R / F1 at q={q}" for q in QUANTILES)
    lines = [
        f"| method | {head} | best F1 (any threshold) | top-1 within ±100 |",
        "| --- |" + " --- |" * (len(QUANTILES) + 2),
    ]
    seeds = " ".join(str(r["seed"]) for r in runs)
    lines.append(
        line(
            f"SequenceAutoencoder (LSTM {CONFIG['hidden_dim']}, code {CONFIG['code_dim']}; mean of seeds {seeds})", runs
        )
    )
    lines.append(line(f"rolling z-score (window {CONFIG['zscore_window']})", [baseline]))
    return "\n".join(lines)


def save_preset(model, directory, row, baseline):
    from rs3l_keras.zoo import save_pretrained
    from rs3l_keras.zoo.metadata import zoo_metadata

    normal, full, labels, start = load()
    q = f"q{CONFIG['quantile']}"
    metadata = {
        "description": (
            "LSTM sequence autoencoder (1x64 encoder and decoder, 16-d code, 32-step windows) for "
            "anomaly detection on UCR anomaly series 135 (heart rate, internal bleeding)."
        ),
        "recipe": f"bash zoo/recipes/{directory.rstrip('/').split('/')[-1]}.sh",
        "command": f"python -m benchmarks.anomaly --seeds {row['seed']} --save-preset {directory}",
        "sequence_length": CONFIG["window_length"],
        "data": {
            "name": "UCR anomaly archive 135 (KDD-TSAD 2021, InternalBleeding16)",
            "source": "aeon.datasets.load_kdd_tsad_135",
            "license": "UCR anomaly archive terms (research use)",
            "split": f"train: steps 0-{start - 1} (normal); test: steps {start}-{len(full) - 1}, anomaly at "
            f"steps {np.flatnonzero(labels)[0]}-{np.flatnonzero(labels)[-1]}",
            "fingerprint_sha256": hashlib.sha256(np.ascontiguousarray(full).tobytes()).hexdigest(),
        },
        "training": {
            "seed": row["seed"],
            **CONFIG,
            "optimizer": "Adam, global_clipnorm=1.0",
            "wall_time_seconds": row["train_seconds"],
        },
        "headline_metric": "test_f1",
        "evaluation": (
            f"per-step score = squared reconstruction error averaged over the 32-step windows (stride 1) "
            f"covering the step; threshold = the {CONFIG['quantile']} quantile of the training scores "
            "(stored in the model); point-wise precision/recall/F1 on the test part; best F1 over all "
            "thresholds; UCR rule: top-scoring test step within 100 steps of the anomaly"
        ),
        "baselines": {
            "rolling_zscore_f1": baseline[q]["f1"],
            "rolling_zscore_best_f1": baseline["best_f1"],
            "rolling_zscore_top1_hit": int(baseline["top1_hit"]),
        },
        "intended_use": (
            "Research and teaching: a worked example of reconstruction-based anomaly scores. Trained on "
            "1,200 normal steps of one patient's series; it is not a medical device and does not "
            "transfer to other signals without retraining and a new threshold."
        ),
        "license": "Weights: Apache-2.0, like the code. Data: UCR anomaly archive (research use).",
    }
    metadata = zoo_metadata(**metadata)
    scores = {
        "test_f1": row[q]["f1"],
        "test_precision": row[q]["precision"],
        "test_recall": row[q]["recall"],
        "test_best_f1": row["best_f1"],
        "test_top1_hit": int(row["top1_hit"]),
        "threshold": row[q]["threshold"],
        "test_peak_step": row["peak_step"],
    }
    return save_pretrained(model, directory, metrics=scores, metadata=metadata)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--save-preset", default=None, help="save the first seed's model here")
    parser.add_argument("--json", default=None)
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    baseline = zscore_baseline()
    runs, first = [], None
    for seed in args.seeds:
        model, row = train(seed, args.verbose)
        first = first or model
        runs.append(row)
        print(json.dumps(row), flush=True)
    print("z-score:", json.dumps(baseline))
    print(table(runs, baseline))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "rolling_zscore": baseline}, f, indent=2)
    if args.save_preset:
        print("saved", save_preset(first, args.save_preset, runs[0], baseline))
    return runs, baseline


if __name__ == "__main__":
    main()
