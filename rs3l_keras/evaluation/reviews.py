"""Label efficiency on Amazon fine-food reviews: does pretraining pay when labels are few?
The protocol of `benchmarks/label_efficiency.py` (its results: `benchmarks/label_efficiency.json`).

ULMFiT recipe (Howard & Ruder, 2018) with our presets:
  1. general LM: `lstm-lm-small` (char LSTM 1×512, 34 Shakespeare plays);
  2. LM fine-tuning on the 4,000 *train* review texts (no labels), slanted triangular LR;
  3. classifiers on n labelled reviews, n ∈ budgets, 3 seeds each:
     - `pretrained probe`: frozen encoder, logistic regression on pooled states (`--probe-pooling`,
       default mean; `last+mean+max` is ULMFiT's concat pooling);
     - `pretrained fine-tune`: full fine-tuning with gradual unfreezing, discriminative
       learning rates (÷2.6 per layer group) and slanted triangular LR;
     - `scratch`: the same architecture and schedule, randomly initialised.
Test accuracy on the 1,000 test reviews; the majority-class rate is reported beside.

    python benchmarks/label_efficiency.py                 # full run (about 1 h on 2 CPU cores)
    python benchmarks/label_efficiency.py --budgets 100 --seeds 0 --finetune-budgets 100 --scratch-budgets 100
    python benchmarks/label_efficiency.py --replot        # table and plot from the recorded JSON only
"""

import argparse
import json
import math
import pathlib
import time

import keras
import numpy as np

from rs3l_keras.data.reviews import load_reviews
from rs3l_keras.finetune import SlantedTriangular, compile_ulmfit, embed, finetune
from rs3l_keras.finetune.probes import POOLINGS as PROBE_POOLINGS
from rs3l_keras.zoo import load_pretrained, save_pretrained

EPOCHS = {50: 10, 100: 8, 500: 4, 1000: 3, 4000: 1}


def subset(labels, n, seed):
    """n indices, stratified by class, seeded."""
    rng = np.random.default_rng(seed)
    if n >= len(labels):
        return rng.permutation(len(labels))
    picked = []
    for c in np.unique(labels):
        pool = np.flatnonzero(labels == c)
        k = max(2, round(n * len(pool) / len(labels)))
        picked.extend(rng.choice(pool, size=k, replace=False))
    return rng.permutation(np.array(picked[:n]))


def lm_finetune(args, train_texts, test_texts, log):
    path = pathlib.Path(args.cache_dir) / f"lstm-lm-reviews-seed{args.lm_seed}"
    if (path / "metadata.json").exists():
        log(f"reusing the review-tuned LM at {path}")
        return load_pretrained(str(path)), json.loads((path / "metadata.json").read_text())["metrics"]
    keras.utils.set_random_seed(args.lm_seed)
    lm = load_pretrained("lstm-lm-small")
    before = lm.score_text("\n".join(test_texts))["bits_per_char"]
    steps = math.ceil(sum(len(t) + 1 for t in train_texts) / (128 * 64)) * args.lm_epochs
    lm.compile(optimizer=keras.optimizers.Adam(SlantedTriangular(args.lm_lr, steps), global_clipnorm=1.0))
    start = time.time()
    lm.fit(["\n".join(train_texts)], epochs=args.lm_epochs, batch_size=64, seed=args.lm_seed, verbose=2)
    after = lm.score_text("\n".join(test_texts))["bits_per_char"]
    metrics = {
        "test_reviews_bits_per_char_before": before,
        "test_reviews_bits_per_char_after": after,
        "lm_finetune_seconds": time.time() - start,
    }
    log(f"LM fine-tuning on train reviews: test-review bits/char {before:.3f} → {after:.3f}")
    save_pretrained(lm, path, metrics=metrics, metadata={"description": "lstm-lm-small tuned on train reviews"})
    return lm, metrics


def train_classifier(source, texts, labels, test, seed, args, pretrained):
    keras.utils.set_random_seed(seed)
    n = len(labels)
    clf = finetune(
        source, head="classification", num_classes=2, sequence_length=args.max_length, dropout=0.2, pooling=args.pooling
    )
    epochs = EPOCHS.get(n, 3)
    batch = 16 if n <= 100 else 32
    steps = epochs * math.ceil(n / batch)
    callbacks = compile_ulmfit(clf, args.lr, steps, pretrained=pretrained, gradual_unfreezing=epochs > 1)
    start = time.time()
    clf.fit(texts, labels, epochs=epochs, batch_size=batch, seed=seed, verbose=0, callbacks=callbacks)
    probs = clf.predict(test[0], batch_size=128, verbose=0)[:, 0]
    return float(((probs > 0.5) == test[1]).mean()), time.time() - start


def main(argv=None):
    """Command line of `benchmarks/label_efficiency.py`."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budgets", type=int, nargs="+", default=[50, 100, 500, 1000, 4000])
    parser.add_argument("--finetune-budgets", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--scratch-budgets", type=int, nargs="*", default=[50, 100, 500, 1000, 4000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-length", type=int, default=192, help="characters kept per review")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--pooling", default="mean", choices=["last", "mean", "max", "attention"])
    parser.add_argument(
        "--probe-pooling",
        default="mean",
        choices=PROBE_POOLINGS,
        help="pooling of the frozen states for the probe (last+mean+max: ULMFiT's concat pooling)",
    )
    parser.add_argument(
        "--probe-max-length",
        type=int,
        default=None,
        help="characters kept per review for the probe (default: --max-length)",
    )
    parser.add_argument("--lm-lr", type=float, default=2e-3)
    parser.add_argument("--lm-epochs", type=int, default=1)
    parser.add_argument("--lm-seed", type=int, default=0)
    parser.add_argument("--cache-dir", default="benchmarks/.cache")
    parser.add_argument("--output", default="benchmarks/label_efficiency.json")
    parser.add_argument("--plot", default="benchmarks/label_efficiency.png")
    parser.add_argument(
        "--replot", action="store_true", help="only redraw the table and the plot from --output (no training)"
    )
    args = parser.parse_args(argv)
    if args.replot:
        summarize(json.loads(pathlib.Path(args.output).read_text()), args.plot)
        return 0

    def log(message):
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    train_texts, train_labels = load_reviews("train")
    test_texts, test_labels = load_reviews("test")
    cut = lambda texts: [t[: args.max_length] for t in texts]  # noqa: E731
    test = (cut(test_texts), test_labels)
    results = {
        "protocol": __doc__.strip().split("\n\n")[1],
        "args": vars(args),
        "majority_rate": float(max(test_labels.mean(), 1 - test_labels.mean())),
        "runs": [],
    }
    out = pathlib.Path(args.output)

    def record(arm, n, seed, accuracy, seconds):
        results["runs"].append({"arm": arm, "labels": n, "seed": seed, "accuracy": accuracy, "seconds": seconds})
        log(f"{arm:22s} n={n:5d} seed={seed} accuracy={accuracy:.3f} ({seconds:.0f} s)")
        out.write_text(json.dumps(results, indent=1) + "\n")

    lm, lm_metrics = lm_finetune(args, train_texts, test_texts, log)
    results["lm_finetune"] = lm_metrics
    # Frozen-encoder probe: embed every review once, then fit one logistic regression per run.
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    start = time.time()
    probe_cut = lambda texts: [t[: args.probe_max_length or args.max_length] for t in texts]  # noqa: E731
    z_train = embed(lm, probe_cut(train_texts), pooling=args.probe_pooling)
    z_test = embed(lm, probe_cut(test_texts), pooling=args.probe_pooling)
    embed_seconds = time.time() - start
    probe_arm = "pretrained probe"
    if (args.probe_pooling, args.probe_max_length or args.max_length) != ("mean", 192):
        probe_arm += f" ({args.probe_pooling}, {args.probe_max_length or args.max_length} chars)"
    for n in args.budgets:
        for seed in args.seeds:
            idx = subset(train_labels, n, seed)
            probe = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=7, cv=3, max_iter=5000))
            probe.fit(z_train[idx], train_labels[idx])
            record(probe_arm, n, seed, float((probe.predict(z_test) == test_labels).mean()), embed_seconds)
    for arm, budgets, source, pretrained in (
        ("pretrained fine-tune", args.finetune_budgets, lm, True),
        ("scratch", args.scratch_budgets, None, False),
    ):
        for n in budgets:
            for seed in args.seeds:
                idx = subset(train_labels, n, seed)
                model = source if pretrained else load_pretrained("lstm-lm-small", weights=False)
                accuracy, seconds = train_classifier(
                    model, cut([train_texts[i] for i in idx]), train_labels[idx], test, seed, args, pretrained
                )
                record(arm, n, seed, accuracy, seconds)
    summarize(results, args.plot)


def summarize(results, plot_path):
    """Markdown table (mean ± std over seeds) and the label-efficiency plot."""
    arms = sorted({r["arm"] for r in results["runs"]})
    budgets = sorted({r["labels"] for r in results["runs"]})
    table = {}
    for arm in arms:
        for n in budgets:
            accs = [r["accuracy"] for r in results["runs"] if r["arm"] == arm and r["labels"] == n]
            if accs:
                table[arm, n] = (float(np.mean(accs)), float(np.std(accs)), len(accs))
    lines = ["| labels | " + " | ".join(arms) + " |", "| --- |" + " --- |" * len(arms)]
    for n in budgets:
        cells = [f"{table[a, n][0]:.3f} ± {table[a, n][1]:.3f}" if (a, n) in table else "–" for a in arms]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines.append(f"\nMajority class rate on test: {results['majority_rate']:.3f}")
    print("\n".join(lines))
    from rs3l_keras import plot

    plot.label_efficiency(
        results,
        path=plot_path,
        xlabel="labelled training reviews",
        ylabel="test accuracy (1,000 reviews)",
        title="Amazon reviews: pretrained vs scratch (mean ± std over seeds)",
    )
    return table


if __name__ == "__main__":
    main()
