"""Time series: linear probe vs full fine-tuning vs supervised from scratch, same architecture.

For each UCR/UEA set and seed:
  1. CPC pretraining on the train split without labels (the `ucr_probe.py` set-up: GRU 1×64
     context network over a causal Conv1D step encoder, 300 optimiser steps);
  2. `linear probe`: logistic regression on the frozen embeddings (C and pooling chosen by
     cross-validation on the train split only, as in `ucr_probe.py`);
  3. `fine-tune`: `rs3l.finetune(cpc, head="classification", pooling="mean")`, all layers
     trained, discriminative learning rates (2e-3 at the head, ÷2.6 per group below);
  4. `scratch`: the same architecture from a randomly initialised CPC, Adam at 2e-3 on every
     layer (discriminative rates only make sense for pretrained layers).
Fine-tuning and scratch use the same steps, batch size and mean pooling, fixed in advance.

    python benchmarks/ucr_finetune.py --output benchmarks/ucr_finetune.json
    python benchmarks/ucr_finetune.py --preset gru-cpc-ucr --datasets ItalyPowerDemand GunPoint ArrowHead \
        --output benchmarks/ucr_finetune_preset.json      # the pooled univariate preset instead of step 1
"""

import argparse
import json
import math
import pathlib
import time

import keras
import numpy as np

import rs3l_keras as rs3l
from rs3l_keras.data import series as series_data
from rs3l_keras.evaluation.ucr_probe import build, probe, train

ORDER = ("ItalyPowerDemand", "GunPoint", "BasicMotions", "JapaneseVowels", "ArrowHead")


def supervised(source, x, y, x_test, y_test, num_classes, steps, batch_size, seed, pretrained):
    keras.utils.set_random_seed(seed)
    clf = rs3l.finetune(source, head="classification", num_classes=num_classes, pooling="mean", dropout=0.1)
    if pretrained:  # lower rates protect what pretraining learned …
        clf.compile(optimizer=rs3l.discriminative_optimizer(clf, learning_rate=2e-3))
    else:  # … a random network has nothing to protect: one rate everywhere
        clf.compile(optimizer=keras.optimizers.Adam(2e-3, global_clipnorm=1.0))
    epochs = max(1, round(steps / math.ceil(len(y) / batch_size)))
    clf.fit(x, y, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0)
    probs = clf.predict(x_test, verbose=0)
    predicted = (probs[:, 0] > 0.5).astype(int) if num_classes == 2 else probs.argmax(-1)
    return float((predicted == y_test).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(ORDER))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--pretrain-steps", type=int, default=300)
    parser.add_argument("--finetune-steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--output", default="benchmarks/ucr_finetune.json")
    parser.add_argument("--preset", help="use this pretrained preset instead of per-dataset CPC pretraining")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.output)
    results = {"args": vars(args), "runs": []}
    for name in args.datasets:
        x, y = series_data.load_ucr(name, "train")
        xt, yt = series_data.load_ucr(name, "test")
        channels, k = x[0].shape[-1], int(max(y.max(), yt.max()) + 1)
        for seed in args.seeds:
            start = time.time()
            if args.preset:
                cpc = rs3l.load_pretrained(args.preset)
            else:
                cpc = build("cpc", channels, 64, seed)
                train(cpc, x, args.pretrain_steps, args.batch_size, seed)
            row = {"dataset": name, "seed": seed, "pretrained": args.preset or "CPC on this train split"}
            row["linear_probe"], row["probe_pooling"], _ = probe(cpc, (x, y), (xt, yt), "auto", seed)
            row["fine_tune"] = supervised(cpc, x, y, xt, yt, k, args.finetune_steps, args.batch_size, seed, True)
            keras.utils.set_random_seed(seed + 1000)  # same architecture, random weights
            fresh = (
                rs3l.load_pretrained(args.preset, weights=False)
                if args.preset
                else build("cpc", channels, 64, seed + 1000)
            )
            fresh.adapt(x)
            row["scratch"] = supervised(fresh, x, y, xt, yt, k, args.finetune_steps, args.batch_size, seed, False)
            row["seconds"] = round(time.time() - start, 1)
            results["runs"].append(row)
            out.write_text(json.dumps(results, indent=1) + "\n")
            print(json.dumps(row), flush=True)
    print(table(results))


def table(results):
    lines = [
        "| dataset | linear probe | fine-tune | scratch | DTW-1NN | T-Loss |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in dict.fromkeys(r["dataset"] for r in results["runs"]):
        rows = [r for r in results["runs"] if r["dataset"] == name]
        cells = []
        for key in ("linear_probe", "fine_tune", "scratch"):
            values = np.array([r[key] for r in rows])
            cells.append(f"{values.mean():.3f} ± {values.std():.3f}")
        pub = series_data.PUBLISHED_ACCURACY[name]
        lines.append(
            f"| {name} ({len(rows)} seeds) | " + " | ".join(cells) + f" | {pub['dtw_1nn']} | {pub['t_loss']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
