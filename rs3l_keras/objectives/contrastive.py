"""`ContrastiveEncoder`: SimCLR's NT-Xent on two augmented views of each series."""

import keras
import numpy as np
from keras import ops

from rs3l_keras.backbones.rnn_backbone import check_backbone
from rs3l_keras.data import augment
from rs3l_keras.data import series as series_data
from rs3l_keras.objectives.series_objective import SeriesObjective
from rs3l_keras.validation import check_number, check_one_of, check_positive_int

POOLINGS = ("last", "mean", "last_mean")


def check_pooling(pooling):
    check_one_of(pooling, "pooling", POOLINGS)


def pool_states(raw, sequence, pooled, pooling):
    """Series vector from the backbone outputs: the last state, the mean over observed
    (non-NaN) steps of `raw`, or both concatenated."""
    if pooling == "last":
        return pooled
    observed = ops.cast(ops.logical_not(ops.all(ops.isnan(raw), axis=-1)), sequence.dtype)  # (B, T)
    mean = ops.sum(sequence * observed[..., None], axis=1) / ops.maximum(ops.sum(observed, axis=1, keepdims=True), 1.0)
    return mean if pooling == "mean" else ops.concatenate([pooled, mean], axis=-1)


def nt_xent(projections, temperature):
    """NT-Xent over `2N` projections where rows `i` and `i + N` are the two views of one
    series: mean over the 2N anchors of −log softmax over k ≠ i of cos(z_i, z_k)/τ at the partner."""
    z = projections / ops.maximum(ops.norm(projections, axis=-1, keepdims=True), 1e-12)
    two_n = ops.shape(z)[0]
    n = two_n // 2
    logits = ops.matmul(z, ops.transpose(z)) / temperature  # (2N, 2N)
    logits = logits - 1e9 * ops.eye(two_n, dtype=logits.dtype)  # k ≠ i
    partners = ops.concatenate([ops.arange(n, two_n), ops.arange(0, n)])
    return ops.mean(ops.sparse_categorical_crossentropy(partners, logits, from_logits=True))


@keras.saving.register_keras_serializable(package="rs3l_keras")
class ContrastiveEncoder(SeriesObjective):
    """SimCLR for series: two augmented views of each series, a recurrent encoder, an MLP
    projection head and the NT-Xent loss.

    For a batch of N series the input pipeline (`make_dataset`) draws two views of each
    with `augmentation` and stacks them as one `(2N, time, channels)` batch: rows `i` and
    `i + N` are views of the same series. With z the L2-normalised projections and
    sim(u, v) = uᵀv, each anchor i with partner j contributes

        ℓ_i = −log exp(sim(z_i, z_j)/τ) / Σ_{k≠i} exp(sim(z_i, z_k)/τ),

    and the loss is the mean over the 2N anchors. The representation kept for downstream
    use is the backbone's (before the projection head), as in SimCLR.

    Reference: Chen et al. (2020), A Simple Framework for Contrastive Learning of Visual
    Representations (SimCLR); Oord et al. (2018) (InfoNCE).

    Args:
        backbone: `RNNBackbone` with feature input (`input_dim` = channels).
        projection_dim: int, default 64. Output size of the projection head.
        projection_hidden_dim: int or None (default: the backbone's output size).
        temperature: float > 0, default 0.1 (τ).
        pooling: `"last"` (default), `"mean"` or `"last_mean"`: how the per-step states
            become the vector that is projected (mean over observed steps only).
        normalization: `"dataset"` (default) or `"per_series"`: see `SeriesNormalization`.
        augmentation: `rs3l_keras.data.augment.Augmentation` or None (default
            `augment.default_views()`); used by `make_dataset`, not saved in the config.

    Inputs: raw series `(batch, time, channels)` float, NaN-left-padded.
    Outputs (a dict): `embedding` (batch, hidden [×2 for last_mean]), `projection` (batch, projection_dim).

    Example:
    >>> from rs3l_keras import RNNBackbone
    >>> from rs3l_keras.data.series import make_sines
    >>> model = ContrastiveEncoder(RNNBackbone(input_dim=5, cell="gru", hidden_dim=8), projection_dim=4)
    >>> model.compile()
    >>> history = model.fit(make_sines(16), epochs=1, batch_size=8, verbose=0)
    >>> model.predict(make_sines(3), verbose=0)["projection"].shape
    (3, 4)
    """

    learning_rate = 1e-3
    fixed_loss = "NT-Xent"

    def __init__(
        self,
        backbone,
        projection_dim=64,
        projection_hidden_dim=None,
        temperature=0.1,
        pooling="last",
        augmentation=None,
        normalization="dataset",
        **kwargs,
    ):
        check_backbone(backbone, "feature")
        check_positive_int(projection_dim, "projection_dim")
        if projection_hidden_dim is not None:
            check_positive_int(projection_hidden_dim, "projection_hidden_dim")
        check_number(temperature, "temperature", 0, low_open=True)
        check_pooling(pooling)
        if augmentation is not None and not isinstance(augmentation, augment.Augmentation):
            raise TypeError(
                f"`augmentation` must be an rs3l_keras.data.augment.Augmentation, "
                f"received {type(augmentation).__name__}."
            )
        projection_hidden_dim = projection_hidden_dim or backbone.output_dim

        # === Layers ===
        self.backbone = backbone
        self.normalizer = series_data.normalization_layer(normalization, backbone.input_dim)
        self.projection_hidden = keras.layers.Dense(projection_hidden_dim, activation="relu", name="projection_hidden")
        self.projection_output = keras.layers.Dense(projection_dim, dtype="float32", name="projection_output")

        # === Functional graph ===
        inputs = keras.Input(shape=(None, backbone.input_dim), dtype="float32", name="features")
        outputs = backbone(self.normalizer(inputs))
        embedding = pool_states(inputs, outputs["sequence_output"], outputs["pooled_output"], pooling)
        projection = self.projection_output(self.projection_hidden(embedding))
        super().__init__(inputs=inputs, outputs={"embedding": embedding, "projection": projection}, **kwargs)

        # === Config ===
        self.projection_dim = projection_dim
        self.projection_hidden_dim = projection_hidden_dim
        self.temperature = float(temperature)
        self.pooling = pooling
        self.normalization = normalization
        self.augmentation = augmentation if augmentation is not None else augment.default_views()

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "projection_dim": self.projection_dim,
                "projection_hidden_dim": self.projection_hidden_dim,
                "temperature": self.temperature,
                "pooling": self.pooling,
                "normalization": self.normalization,
            }
        )
        return config

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = nt_xent(ops.cast(y_pred["projection"], "float32"), self.temperature)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss

    def views(self, x, seed=None):
        """The training input for series `x`: `(2n, time, channels)`, two augmented views
        of each series stacked (rows i and i + n are views of series i)."""
        batch = series_data.pad_series(self.series_list(x, min_length=2))
        return self._two_views(batch, np.random.default_rng(seed))

    def _two_views(self, batch, rng):
        return augment.trim_padding(np.concatenate([self.augmentation(batch, rng), self.augmentation(batch, rng)]))

    def batches(self, x, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Batches of stacked view pairs `(2 × batch_size, time, channels)`, drawn in the
        input pipeline with seeds from `(seed, epoch, batch index)`. A `tf.data.Dataset`
        passes through as it is (it must already hold stacked view pairs)."""

        padded = series_data.pad_series(self.series_list(x, min_length=2))
        if len(padded) < 2:
            raise ValueError(f"`x` holds {len(padded)} series: NT-Xent needs at least 2 per batch.")
        return augment.augmented_batches(
            padded,
            batch_size or 32,
            self._two_views,
            seed=0 if seed is None and not shuffle else seed,
            epoch=epoch,
            shuffle=shuffle,
        )
