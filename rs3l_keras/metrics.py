"""Sequence metrics shared by the objectives: cross-entropy, perplexity, bits per token;
forecast errors (sMAPE, MASE) and anomaly-detection scores (numpy)."""

import math

import keras
import numpy as np
from keras import ops

from rs3l_keras.data.tokenizers import PAD_ID
from rs3l_keras.validation import check_int, check_positive_int


@keras.saving.register_keras_serializable(package="rs3l_keras")
class MeanCrossEntropy(keras.metrics.Mean):
    """Mean next-token cross-entropy in nats over non-padding targets.

    Args:
        ignore_class: int, default 0 (`<pad>`). Targets with this id are not counted.
    """

    def __init__(self, name="cross_entropy", ignore_class=PAD_ID, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.ignore_class = ignore_class

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        nll = ops.sparse_categorical_crossentropy(y_true, ops.cast(y_pred, "float32"), from_logits=True)
        weight = ops.cast(ops.not_equal(y_true, self.ignore_class), "float32")
        if sample_weight is not None:
            weight = weight * ops.cast(sample_weight, "float32")
        return super().update_state(nll, sample_weight=weight)

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}


@keras.saving.register_keras_serializable(package="rs3l_keras")
class Perplexity(MeanCrossEntropy):
    """exp(mean cross-entropy) over non-padding targets."""

    def __init__(self, name="perplexity", ignore_class=PAD_ID, dtype=None):
        super().__init__(name=name, ignore_class=ignore_class, dtype=dtype)

    def result(self):
        return ops.exp(super().result())


@keras.saving.register_keras_serializable(package="rs3l_keras")
class BitsPerToken(MeanCrossEntropy):
    """Mean cross-entropy in bits (nats / ln 2); bits per character for char tokenizers."""

    def __init__(self, name="bits_per_token", ignore_class=PAD_ID, dtype=None):
        super().__init__(name=name, ignore_class=ignore_class, dtype=dtype)

    def result(self):
        return super().result() / math.log(2.0)


def edit_distance(a, b):
    """Levenshtein distance between two sequences (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def character_error_rate(predictions, references):
    """Σ edit distance / Σ reference length over a corpus of strings."""
    if len(predictions) != len(references) or not references:
        raise ValueError(
            f"`predictions` and `references` must be non-empty and of equal length, received "
            f"{len(predictions)} and {len(references)}."
        )
    errors = sum(edit_distance(p, r) for p, r in zip(predictions, references))
    return errors / max(sum(len(r) for r in references), 1)


# -- forecasting (numpy) -------------------------------------------------------------------
def _as_float_array(values, name):
    array = np.asarray(values, dtype="float64")
    if array.size == 0:
        raise ValueError(f"`{name}` is empty: expected at least one value.")
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` holds NaN or inf: expected finite numbers.")
    return array


def _matching(y_true, y_pred):
    y_true, y_pred = _as_float_array(y_true, "y_true"), _as_float_array(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"`y_true` and `y_pred` must have the same shape, received {y_true.shape} and {y_pred.shape}.")
    return y_true, y_pred


def smape(y_true, y_pred):
    """Symmetric MAPE in percent: 100 · mean(2|y − ŷ| / (|y| + |ŷ|)) (0 where both are 0).

    The M3/M4 definition (Makridakis & Hibon, 2000), in [0, 200].

    >>> round(smape([100.0, 200.0], [110.0, 180.0]), 3)
    10.025
    """
    y_true, y_pred = _matching(y_true, y_pred)
    denominator = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(2.0 * np.abs(y_true - y_pred), denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return float(100.0 * ratio.mean())


def mase(y_true, y_pred, y_train, season=1):
    """Mean absolute scaled error (Hyndman & Koehler, 2006): the forecast's MAE divided by
    the in-sample MAE of the seasonal naive forecast on `y_train`,
    mean_t |y_t − y_{t−season}|. Below 1: better than that in-sample naive forecast.

    >>> mase([3.0, 4.0], [3.5, 4.5], [1.0, 2.0, 3.0], season=1)
    0.5
    """
    y_true, y_pred = _matching(y_true, y_pred)
    y_train = _as_float_array(y_train, "y_train")
    check_positive_int(season, "season")
    if len(y_train) <= season:
        raise ValueError(f"`y_train` has {len(y_train)} values: more than `season`={season} are needed.")
    scale = np.abs(y_train[season:] - y_train[:-season]).mean()
    if scale == 0:
        raise ValueError("`y_train` is constant at lag `season`: the MASE scale is 0.")
    return float(np.abs(y_true - y_pred).mean() / scale)


def seasonal_naive(y_train, horizon, season=1):
    """The last `season` values of `y_train` repeated over `horizon` steps (season 1: the
    naive forecast, the last value repeated). Shape `(horizon,) + y_train.shape[1:]`."""
    y_train = np.asarray(y_train)
    check_positive_int(horizon, "horizon")
    check_int(season, "season", 1, maximum=len(y_train), expected=f"a positive int <= len(y_train)={len(y_train)}")
    last = y_train[len(y_train) - season :]
    return last[np.arange(horizon) % season]


# -- anomaly detection (numpy) ---------------------------------------------------------------
def rolling_zscore(series, window=100):
    """|x_t − mean| / std over the `window` steps before t (a per-step anomaly score; the
    first steps use the steps available, the first step scores 0). Multivariate series
    take the largest score over channels."""
    x = np.asarray(series, "float64")
    x = x[:, None] if x.ndim == 1 else x
    check_int(window, "window", 2)
    cumsum = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, 0)])
    cumsq = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x * x, 0)])
    t = np.arange(len(x))
    start = np.maximum(t - window, 0)
    count = np.maximum(t - start, 1)[:, None]
    mean = (cumsum[t] - cumsum[start]) / count
    var = np.maximum((cumsq[t] - cumsq[start]) / count - mean**2, 0.0)
    score = np.abs(x - mean) / np.sqrt(var + 1e-12)
    score[t - start < 2] = 0.0
    return score.max(axis=1)


def precision_recall_f1(labels, predicted):
    """Point-wise precision, recall and F1 of boolean predictions against 0/1 labels."""
    labels, predicted = np.asarray(labels).astype(bool), np.asarray(predicted).astype(bool)
    if labels.shape != predicted.shape:
        raise ValueError(
            f"`labels` and `predicted` must have the same shape, received {labels.shape} and {predicted.shape}."
        )
    tp = float((labels & predicted).sum())
    precision = tp / predicted.sum() if predicted.any() else 0.0
    recall = tp / labels.sum() if labels.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def best_f1(labels, scores):
    """The best point-wise F1 over every threshold on `scores` (threshold-free, optimistic):
    dict with `f1`, `precision`, `recall`, `threshold`."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, "float64")
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(labels[order])
    flagged = np.arange(1, len(order) + 1)
    precision, recall = tp / flagged, tp / max(labels.sum(), 1)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    f1[:-1][scores[order][1:] == scores[order][:-1]] = 0  # only cut between distinct scores
    i = int(np.argmax(f1))
    return {
        "f1": float(f1[i]),
        "precision": float(precision[i]),
        "recall": float(recall[i]),
        "threshold": float(scores[order][i]),
    }


def top1_hit(labels, scores, margin=100):
    """UCR anomaly archive rule (Wu & Keogh, 2021): the highest-scoring step lies within
    `margin` steps of a labelled anomaly step (of any labelled region, when there are several)."""
    labels = np.asarray(labels).astype(bool)
    if not labels.any():
        raise ValueError("`labels` has no anomaly.")
    where = np.flatnonzero(labels)
    peak = int(np.argmax(scores))
    return bool(np.abs(where - peak).min() <= margin)
