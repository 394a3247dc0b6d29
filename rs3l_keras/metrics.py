"""Sequence metrics shared by the objectives: cross-entropy, perplexity, bits per token."""

import math

import keras
from keras import ops

from rs3l_keras.data.tokenizers import PAD_ID


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
