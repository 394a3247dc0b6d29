"""`CPC`: Contrastive Predictive Coding (van den Oord et al., 2018) for series."""

import keras
import numpy as np
from keras import ops

from rs3l_keras.backbones.rnn_backbone import check_backbone
from rs3l_keras.data import augment
from rs3l_keras.data import series as series_data
from rs3l_keras.objectives.series_objective import SeriesObjective
from rs3l_keras.validation import check_positive_int

NEG = -1e9  # logit of an excluded candidate


def cpc_logits(predictions, latents, observed):
    """InfoNCE scores of one prediction offset k.

    Args:
        predictions: (B, T', D) W_k c_t for t < T' = T − k.
        latents: (B, T, D) the per-step codes z.
        observed: (B, T) bool, False at padding.

    Returns:
        `(logits, valid)`: logits (B, T', B + T) — the first B columns score z_{b', t+k}
        of every series b' at the target step (the positive is b' = b), the last T score
        z_{b, t'} of the anchor's own series at every step t' ≠ t+k; padded candidates get
        −1e9. `valid` (B, T') marks anchors whose context step t and target t + k are both
        observed (padded steps are never anchors nor positives).
    """
    t_all = ops.shape(latents)[1]
    t_pred = ops.shape(predictions)[1]
    k = t_all - t_pred
    targets = latents[:, k:]  # (B, T', D) z_{t+k}
    observed_f = ops.cast(observed, "float32")
    target_observed = observed_f[:, k:]  # (B, T')
    # Other series at the same target step: (B, T', B).
    cross = ops.einsum("btd,ctd->btc", predictions, targets)
    cross = cross + NEG * (1.0 - ops.transpose(target_observed)[None, :, :])
    # The anchor's own series at the other steps: (B, T', T), without the positive.
    own = ops.einsum("btd,bsd->bts", predictions, latents)
    is_target = ops.cast(ops.equal(ops.arange(t_all)[None, :], ops.arange(t_pred)[:, None] + k), "float32")
    own = own + NEG * (1.0 - observed_f[:, None, :]) + NEG * is_target[None]
    valid = observed_f[:, :t_pred] * target_observed
    return ops.concatenate([cross, own], axis=-1), valid


@keras.saving.register_keras_serializable(package="rs3l_keras")
class CPC(SeriesObjective):
    """Contrastive Predictive Coding: a per-step encoder z_t = g_enc(x_{≤t}) (causal Conv1D
    stack), the recurrent backbone as context network c_t = g_ar(z_{≤t}), and one linear
    map W_k per offset k = 1..K predicting z_{t+k} from c_t, trained with InfoNCE:

        L = −(1/K) Σ_k mean_{b,t} log exp(z_{b,t+k}ᵀ W_k c_{b,t}) / Σ_{z̃ ∈ N ∪ {z_{b,t+k}}} exp(z̃ᵀ W_k c_{b,t}),

    where the negatives N are the codes of every other series of the batch at step t+k
    and the codes of the same series at every other step. Padded (NaN) steps are never
    anchors, positives or negatives. Memory grows as B·T·(B + T)·K: cut long series with
    `sequence_length` (random windows in the pipeline). A metric `cpc_accuracy` tracks how
    often the positive scores highest.

    The context network is the backbone, so `c_T` (its `pooled_output`) is the series
    embedding, as in the paper's downstream use.

    Reference: van den Oord, Li & Vinyals (2018), Representation Learning with Contrastive
    Predictive Coding.

    Args:
        backbone: `RNNBackbone` with feature input; its `input_dim` is the code size D.
        channels: int, default 1. Channels of the raw series.
        prediction_steps: int, default 4 (K).
        kernel_size: int, default 3. Width of the causal convolutions of g_enc.
        encoder_layers: int, default 2. Number of causal Conv1D layers in g_enc.
        sequence_length: int or None, default None. Training windows: each series is cut to
            a random window of at most this many steps in the input pipeline (formerly
            `max_length`, still accepted with a DeprecationWarning).
        normalization: `"dataset"` (default: one z-score per channel fitted by `adapt`) or
            `"per_series"` (each series z-scored over its own steps, for encoders of series
            of any scale). See `SeriesNormalization`.

    Inputs: raw series `(batch, time, channels)` float, NaN-left-padded.
    Outputs (a dict): `latents` (batch, time, D), `context` (batch, time, hidden),
    `embedding` (batch, hidden), `predictions` (batch, time, K, D).

    Example:
    >>> from rs3l_keras import RNNBackbone
    >>> from rs3l_keras.data.series import make_sines
    >>> model = CPC(RNNBackbone(input_dim=8, cell="gru", hidden_dim=16), channels=5, prediction_steps=2)
    >>> model.compile()
    >>> history = model.fit(make_sines(16), epochs=1, batch_size=8, verbose=0)
    >>> model.predict(make_sines(3), verbose=0)["embedding"].shape
    (3, 16)
    """

    learning_rate = 1e-3
    fixed_loss = "InfoNCE"
    renamed_args = {"max_length": "sequence_length"}

    def __init__(
        self,
        backbone,
        channels=1,
        prediction_steps=4,
        kernel_size=3,
        encoder_layers=2,
        sequence_length=None,
        normalization="dataset",
        **kwargs,
    ):
        sequence_length = self._renamed(kwargs, "sequence_length", sequence_length, None)
        check_backbone(backbone, "feature", bidirectional=False)
        check_positive_int(channels, "channels")
        check_positive_int(prediction_steps, "prediction_steps")
        check_positive_int(kernel_size, "kernel_size")
        check_positive_int(encoder_layers, "encoder_layers")
        if sequence_length is not None:
            check_positive_int(sequence_length, "sequence_length")
            if sequence_length <= prediction_steps:
                raise ValueError(
                    f"`sequence_length` must be greater than prediction_steps={prediction_steps}, "
                    f"received {sequence_length}."
                )
        latent_dim = backbone.input_dim

        # === Layers ===
        self.backbone = backbone
        self.normalizer = series_data.normalization_layer(normalization, channels)
        self.step_encoder = [
            keras.layers.Conv1D(
                latent_dim,
                kernel_size,
                padding="causal",
                activation="relu" if i < encoder_layers - 1 else None,
                name=f"step_encoder_{i}",
            )
            for i in range(encoder_layers)
        ]
        self.predictors = [
            keras.layers.Dense(latent_dim, use_bias=False, dtype="float32", name=f"predictor_{k + 1}")
            for k in range(prediction_steps)
        ]

        # === Functional graph ===
        inputs = keras.Input(shape=(None, channels), dtype="float32", name="features")
        latents = self._encode_steps(self.normalizer(inputs))  # (B, T, D)
        outputs = backbone(latents)
        context = outputs["sequence_output"]  # (B, T, H)
        predictions = ops.stack([p(ops.cast(context, "float32")) for p in self.predictors], axis=2)  # (B, T, K, D)
        super().__init__(
            inputs=inputs,
            outputs={
                "latents": ops.cast(latents, "float32"),
                "context": context,
                "embedding": outputs["pooled_output"],
                "predictions": predictions,
            },
            **kwargs,
        )

        # === Config ===
        self.channels = channels
        self.prediction_steps = prediction_steps
        self.kernel_size = kernel_size
        self.encoder_layers = encoder_layers
        self.sequence_length = sequence_length
        self.normalization = normalization
        self.accuracy_tracker = keras.metrics.Mean(name="cpc_accuracy")

    def _encode_steps(self, x):
        for layer in self.step_encoder:
            x = layer(x)
        return x

    @property
    def input_dim(self):
        return self.channels

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "channels": self.channels,
                "prediction_steps": self.prediction_steps,
                "kernel_size": self.kernel_size,
                "encoder_layers": self.encoder_layers,
                "sequence_length": self.sequence_length,
                "normalization": self.normalization,
            }
        )
        return config

    @property
    def metrics(self):
        return [*super().metrics, self.accuracy_tracker]

    def encoder_model(self):
        """A functional model: raw series → the context network's outputs dict."""
        inputs = keras.Input(shape=(None, self.channels), dtype="float32", name="features")
        outputs = self.backbone(self._encode_steps(self.normalizer(inputs)))
        return keras.Model(inputs, outputs, name=f"{self.name}_encoder")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        observed = ops.logical_not(ops.all(ops.isnan(x), axis=-1))  # (B, T)
        latents, predictions = y_pred["latents"], y_pred["predictions"]
        t_all = ops.shape(latents)[1]
        total, count, hits = 0.0, 0.0, 0.0
        for k in range(1, self.prediction_steps + 1):
            logits, valid = cpc_logits(predictions[:, : t_all - k, k - 1], latents, observed)
            positive = ops.broadcast_to(ops.arange(ops.shape(logits)[0])[:, None], ops.shape(valid))
            nll = ops.sparse_categorical_crossentropy(positive, logits, from_logits=True)
            total = total + ops.sum(nll * valid)
            count = count + ops.sum(valid)
            hits = hits + ops.sum(ops.cast(ops.equal(ops.argmax(logits, axis=-1), positive), "float32") * valid)
        count = ops.maximum(count, 1.0)
        self.accuracy_tracker.update_state(hits / count)
        loss = total / count
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss

    def _window(self, batch, rng):
        if self.sequence_length is not None and batch.shape[1] > self.sequence_length:
            batch = _random_windows(batch, self.sequence_length, rng)
        return augment.trim_padding(batch)

    def batches(self, x, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Batches of raw series `(batch, time, channels)` (NaN-left-padded; cut to random
        windows of `sequence_length` if set). A `tf.data.Dataset` passes through as it is."""

        padded = series_data.pad_series(self.series_list(x, min_length=self.prediction_steps + 1))
        return augment.augmented_batches(
            padded,
            batch_size or 32,
            self._window,
            seed=0 if seed is None and not shuffle else seed,
            epoch=epoch,
            shuffle=shuffle,
        )


def _random_windows(batch, length, rng):
    """Each series of a left-padded batch cut to a random window of `length` steps (series
    already that short are kept whole), right-aligned in a `(n, length, c)` batch."""
    out = np.full((len(batch), length, batch.shape[2]), np.nan, batch.dtype)
    lengths = series_data.lengths_of(batch)
    for i, (row, n) in enumerate(zip(batch, lengths)):
        observed = row[len(row) - n :]
        if n > length:
            start = int(rng.integers(0, n - length + 1))
            observed = observed[start : start + length]
        out[i, length - len(observed) :] = observed
    return out
