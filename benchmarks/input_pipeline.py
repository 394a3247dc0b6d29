"""Input pipeline alone vs what the model consumes (issue 6, part 4).

For each workload, the same `make_dataset` that `fit` maps (in-memory windows cut with
NumPy stride tricks, a per-epoch permutation gathered batch by batch in `tf.data`,
`prefetch(AUTOTUNE)`) is iterated alone for one epoch, then the model trains on it for a
few steps; the ratio says how many times faster the pipeline delivers than the model eats.

    python benchmarks/input_pipeline.py [--json benchmarks/input_pipeline.json]
"""

import argparse
import json
import time

import keras
import numpy as np

import rs3l_keras as rs3l
from rs3l_keras.data import series, shakespeare


def rate(dataset, unit, limit=None):
    """Units per second delivered by iterating `dataset` (one pass, or `limit` batches)."""
    start, total = time.perf_counter(), 0
    for i, batch in enumerate(dataset):
        total += unit(batch)
        if limit and i + 1 >= limit:
            break
    return total / (time.perf_counter() - start)


def consumption(model, dataset, unit, steps):
    """Units per second the model trains on (after one warm-up step)."""
    batches = list(dataset.take(steps + 1))
    model.train_on_batch(*batches[0])
    start = time.perf_counter()
    for batch in batches[1:]:
        model.train_on_batch(*batch)
    return sum(unit(b) for b in batches[1:]) / (time.perf_counter() - start)


def language_model():
    text = shakespeare.load_text("train")
    tokenizer = rs3l.CharTokenizer.fit(text)
    model = rs3l.LanguageModel(
        rs3l.RNNBackbone(tokenizer.vocabulary_size, hidden_dim=512, embedding_dim=64), tokenizer, sequence_length=128
    )  # the lstm-lm-small recipe
    model.compile()
    start = time.perf_counter()
    data = model.make_dataset(text, batch_size=64, shuffle=True, seed=0)
    build = time.perf_counter() - start
    tokens = lambda b: int(np.prod(b[0].shape))  # noqa: E731
    return {
        "workload": "LanguageModel 1x512 char LSTM, B=64, T=128, Shakespeare train (4.2M chars)",
        "unit": "tokens/s",
        "dataset_build_seconds": build,
        "pipeline": rate(data, tokens),
        "model": consumption(model, data, tokens, steps=8),
    }


def forecaster():
    y = series.load_elecdemand()[:-1344]
    model = rs3l.Forecaster(
        rs3l.RNNBackbone(input_dim=3, hidden_dim=64), horizon=1344, sequence_length=336, season=336, window_stride=48
    )  # the lstm-forecaster-elecdemand sizes
    model.compile()
    model.adapt(y)
    start = time.perf_counter()
    data = model.make_dataset(y, batch_size=32, shuffle=True, seed=0)
    build = time.perf_counter() - start
    windows = lambda b: int(keras.tree.flatten(b[0])[0].shape[0])  # noqa: E731
    return {
        "workload": "Forecaster (LSTM 64, 336-step history, 1344-step horizon), elecdemand, B=32",
        "unit": "windows/s",
        "dataset_build_seconds": build,
        "pipeline": rate(data, windows),
        "model": consumption(model, data, windows, steps=4),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    results = [language_model(), forecaster()]
    for r in results:
        r["ratio"] = r["pipeline"] / r["model"]
        print(
            f"{r['workload']}\n  pipeline alone {r['pipeline']:,.0f} {r['unit']}, model {r['model']:,.0f} "
            f"{r['unit']} -> {r['ratio']:.0f}x; dataset built in {r['dataset_build_seconds']:.2f} s"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
