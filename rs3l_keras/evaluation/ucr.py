"""The UCR archive benchmark of a frozen series encoder: the protocol behind `gru-ts-general`'s
recorded numbers.

Protocol (written before the runs it judges):

* Each set's official TRAIN/TEST split (`rs3l_keras.data.ucr_archive.load`). The encoder
  is frozen; `rs3l_keras.linear_probe` with its defaults (concat `last+mean+max` pooling,
  standardised embeddings, logistic regression with C chosen by 5-fold CV on the train
  split only — 5 shuffled repeats below 500 training series) gives the test accuracy.
* Arms computed in the same run: the pretrained encoder; the same network with untrained
  (freshly initialised) weights and the same probe; a logistic regression on the raw
  series (each z-scored, resampled to the set's median length) with the same classifier.
* Seeds: the probe's CV seed for the pretrained encoder (one pretrained model); the
  initialisation seed and the CV seed for the untrained control and the raw baseline.
* Published columns (resample 0 = the official split, `tsml-eval` bake-off redux tables):
  1NN-DTW, ROCKET, ResNet, InceptionTime.
* Model selection reads train splits only (`selection_score`: mean train-CV accuracy over
  sets that are not benchmark sets); no number of a TEST split chooses anything.
"""

import numpy as np

from rs3l_keras import datasets
from rs3l_keras.data import ucr_archive
from rs3l_keras.finetune.probes import embed, linear_probe, probe_features

PUBLISHED_COLUMNS = ("1NN-DTW", "ROCKET", "ResNet", "InceptionTime")
#: The five sets of the earlier probe results (benchmarks/RESULTS.md), probed beside the 12.
EARLIER_SETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions", "JapaneseVowels")
#: The two multivariate ones are not in the univariate tables: DTW-1NN as quoted in DATA.md.
MULTIVARIATE_PUBLISHED = {"BasicMotions": {"1NN-DTW": 0.975}, "JapaneseVowels": {"1NN-DTW": 0.949}}

#: Sets whose TRAIN splits (with labels, cross-validated) choose the pretraining objective:
#: none is a benchmark set or a sibling of one; each class has ≥ 5 training series (so the
#: probe's C is chosen by CV); 2–7 classes, 23–180 series, lengths 84–577.
SELECTION_SETS = ("CBF", "ECGFiveDays", "Lightning7", "Plane", "GesturePebbleZ1", "Car", "Ham", "PowerCons")


def raw_features(series, length):
    """Each series (each channel) z-scored and linearly resampled to `length` steps, channels
    side by side: `(n, length × channels)`."""
    grid = np.linspace(0.0, 1.0, length)
    rows = []
    for s in series:
        values = np.asarray(s, "float64")
        values = (values - values.mean(0)) / np.maximum(values.std(0), 1e-8)
        source = np.linspace(0.0, 1.0, len(values))
        rows.append(np.concatenate([np.interp(grid, source, values[:, c]) for c in range(values.shape[1])]))
    return np.asarray(rows, "float32")


def load(name, split):
    """A split of a benchmark set through `rs3l_keras.datasets` (the archive's files, or aeon's
    for the sets it ships)."""
    return datasets.load(name, split)


def raw_baseline(name, seed=0):
    """Test accuracy of the probe's classifier on the raw series of set `name`."""
    (x_train, y_train), (x_test, y_test) = load(name, "train"), load(name, "test")
    return _raw_seeds((x_train, y_train, x_test, y_test), [seed])[0]


def _raw_seeds(split, seeds):
    """The raw-series baseline for each CV seed, from one set of resampled features: the
    probe's result dicts."""
    x_train, y_train, x_test, y_test = split
    length = int(np.median([len(s) for s in x_train]))
    z_train, z_test = raw_features(x_train, length), raw_features(x_test, length)
    return [probe_features(z_train, y_train, z_test, y_test, seed=s) for s in seeds]


def probe(model, name, seed=0):
    """`linear_probe` (defaults) of a frozen encoder on set `name`."""
    return linear_probe(model, load(name, "train"), load(name, "test"), seed=seed, verbose=0)


def published(name):
    """The published columns for `name` (None where no table has it)."""
    out = {}
    for column in PUBLISHED_COLUMNS:
        try:
            out[column] = ucr_archive.published_accuracy(column, name)
        except ValueError:
            out[column] = MULTIVARIATE_PUBLISHED.get(name, {}).get(column)
    return out


def selection_score(model, names=SELECTION_SETS, seed=0):
    """Mean train-split CV accuracy of the default probe over `names` (no test split read)."""
    if set(names) & set(ucr_archive.excluded_from_pretraining()):
        raise ValueError(f"`names` must not contain held-out benchmark sets, received {sorted(names)}.")
    scores = {name: linear_probe(model, load(name, "train"), seed=seed, verbose=0)["cv_accuracy"] for name in names}
    return float(np.mean(list(scores.values()))), scores


def benchmark(pretrained, untrained, names=ucr_archive.BENCHMARK_SETS, seeds=(0, 1, 2), log=None):
    """The table of the module docstring.

    Args:
        pretrained: the frozen pretrained model (or preset name).
        untrained: callable `seed -> model`, the same network freshly initialised.
        names: set names. seeds: see the module docstring.
        log: callable taking one line of progress, or None.

    Returns:
        `{name: {"pretrained": [acc per seed], "untrained": [...], "raw_lr": [...],
        "published": {classifier: acc or None}}}`.
    """
    results = {}
    for name in names:
        (x_train, y_train), (x_test, y_test) = load(name, "train"), load(name, "test")

        split = (x_train, y_train, x_test, y_test)
        row = {"pretrained": _probe_seeds(pretrained, split, seeds)}
        row["untrained"] = [_probe_seeds(untrained(seed), split, [seed])[0] for seed in seeds]
        row["raw_lr"] = [r["accuracy"] for r in _raw_seeds(split, seeds)]
        row["published"] = published(name)
        results[name] = row
        if log is not None:
            log(
                f"{name}: pretrained {np.mean(row['pretrained']):.3f}, untrained {np.mean(row['untrained']):.3f}, "
                f"raw LR {np.mean(row['raw_lr']):.3f}, 1NN-DTW {_number(row['published']['1NN-DTW'])}"
            )
    return results


def _probe_seeds(model, split, seeds):
    """Test accuracies of the default probe for each CV seed, from one embedding of the split."""
    x_train, y_train, x_test, y_test = split
    z_train, z_test = embed(model, x_train, verbose=0), embed(model, x_test, verbose=0)
    return [probe_features(z_train, y_train, z_test, y_test, seed=s)["accuracy"] for s in seeds]


def summary(results):
    """Counts and means of a `benchmark` result: wins over 1NN-DTW (strictly better) and
    ROCKET (at least equal), the gain over the untrained control in accuracy points, and the
    mean of each column (None where a published value is missing)."""
    names = list(results)
    arms = ("pretrained", "untrained", "raw_lr")
    mean = {arm: float(np.mean([np.mean(results[n][arm]) for n in names])) for arm in arms}
    for column in PUBLISHED_COLUMNS:
        values = [results[n]["published"][column] for n in names]
        mean[column] = None if None in values else float(np.mean(values))

    def wins(column, strict):
        pairs = [(np.mean(results[n]["pretrained"]), results[n]["published"][column]) for n in names]
        return int(sum((ours > ref) if strict else (ours >= ref) for ours, ref in pairs if ref is not None))

    return {
        "num_sets": len(names),
        "beats_1nn_dtw": wins("1NN-DTW", strict=True),
        "beats_rocket": wins("ROCKET", strict=False),
        "gain_over_untrained_points": 100 * (mean["pretrained"] - mean["untrained"]),
        "mean": mean,
    }


def markdown_table(results):
    """`results` of `benchmark` as a Markdown table (mean ± std over seeds)."""

    def cell(values):
        return f"{np.mean(values):.3f} ± {np.std(values):.3f}"

    head = "| set | pretrained (probe) | untrained, same probe | raw series + LR | " + " | ".join(PUBLISHED_COLUMNS)
    lines = [head + " |", "|" + " --- |" * (4 + len(PUBLISHED_COLUMNS))]
    for name, row in results.items():
        columns = " | ".join(_number(row["published"][c]) for c in PUBLISHED_COLUMNS)
        lines.append(
            f"| {name} | {cell(row['pretrained'])} | {cell(row['untrained'])} | {cell(row['raw_lr'])} | {columns} |"
        )
    s = summary(results)
    means = " | ".join(_number(s["mean"][c]) for c in PUBLISHED_COLUMNS)
    arms = f"**{s['mean']['pretrained']:.3f}** | {s['mean']['untrained']:.3f} | {s['mean']['raw_lr']:.3f}"
    lines.append(f"| **mean** | {arms} | {means} |")
    return "\n".join(lines)


def _number(value):
    return "–" if value is None else f"{value:.3f}"
