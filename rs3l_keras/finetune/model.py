"""`FineTunedModel` and `finetune`: a pretrained backbone with a fresh downstream head."""

import keras
import numpy as np
from keras import ops

from rs3l_keras.backbones.rnn_backbone import RNNBackbone
from rs3l_keras.data.tokenizers import PAD_ID
from rs3l_keras.objectives.objective import Objective
from rs3l_keras.validation import check_int, check_number, check_one_of, check_positive_int, renamed_argument

HEADS = ("classification", "regression", "tagging", "forecast")
POOLINGS = ("last", "mean", "max", "last+mean+max", "attention")
IGNORE_LABEL = -1  # tagging targets at padded steps


@keras.saving.register_keras_serializable(package="rs3l_keras")
class AttentionPooling(keras.layers.Layer):
    """Softmax-weighted sum over time of `(batch, time, d)` states, padded steps excluded:
    a_t = softmax_t(w·h_t), pooled = Σ_t a_t h_t (Bahdanau-style attention pooling)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.score = keras.layers.Dense(1, use_bias=False, name="score")

    def build(self, input_shape):
        self.score.build(input_shape[0])

    def call(self, inputs):
        states, valid = inputs
        scores = self.score(states)[..., 0]
        scores = ops.where(valid, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        return ops.sum(states * weights[..., None], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[0][-1])


def _pool(pooling, sequence, pooled, valid, attention):
    if pooling == "last":
        return pooled
    weights = ops.cast(valid, sequence.dtype)[..., None]
    if pooling == "mean":
        return ops.sum(sequence * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)
    peak = ops.max(ops.where(weights > 0, sequence, ops.full_like(sequence, -1e9)), axis=1)
    if pooling == "max":
        return peak
    if pooling == "last+mean+max":  # ULMFiT's concat pooling, the probes' default
        mean = ops.sum(sequence * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)
        return ops.concatenate([pooled, mean, peak], axis=-1)
    return attention([sequence, valid])


@keras.saving.register_keras_serializable(package="rs3l_keras")
class FineTunedModel(Objective):
    """A pretrained `RNNBackbone` with a downstream head (build it with `finetune`).

    Heads:
        classification: pooled state → dropout → Dense. With `num_classes=2` the default is
            the classic set-up of one sigmoid unit, binary cross-entropy and accuracy; with
            more classes, softmax over `num_classes` with sparse cross-entropy.
        regression: pooled state → Dense(`output_dim`), mean squared error.
        tagging: every step's state → Dense(`num_classes`), one label per token / time step
            (label −1 = ignore), sparse cross-entropy.
        forecast: pooled state → Dense(`horizon` × target channels), time series only; the
            output is in the original scale (the backbone's normaliser is inverted).

    With `head_norm` (default `"auto"`: on for text, off for time series; never for tagging,
    whose batches hold padded steps) the pooled
    features pass through `BatchNormalization` before dropout and the head, as in ULMFiT's
    classifier head: averaged recurrent states differ little from text to text, and a head
    on unnormalised features tends to settle on the majority class.

    Inputs are those of the pretext model: raw strings (tokenised in the input pipeline by
    the tokenizer that came with the backbone) or token ids for text; raw series (normalised
    in the graph by the normaliser that came with the backbone) for time series.

    Layer groups for discriminative learning rates and gradual unfreezing (`layer_groups`):
    group 0 is the head, then the recurrent layers from the top down, and last the input
    layer (embedding or normaliser).
    """

    renamed_args = {"max_length": "sequence_length"}

    def __init__(
        self,
        backbone,
        head="classification",
        num_classes=None,
        output_dim=None,
        horizon=None,
        pooling="last",
        dropout=0.1,
        tokenizer=None,
        normalizer=None,
        target_channels=None,
        sequence_length=512,
        step_encoder=None,
        head_norm="auto",
        **kwargs,
    ):
        sequence_length = self._renamed(kwargs, "sequence_length", sequence_length, 512)
        if not isinstance(backbone, RNNBackbone):
            raise TypeError(f"`backbone` must be an RNNBackbone, received {type(backbone).__name__}.")
        check_one_of(head, "head", list(HEADS))
        check_one_of(pooling, "pooling", list(POOLINGS))
        check_number(dropout, "dropout", 0, 1, high_open=True, expected="a float in [0, 1)")
        check_positive_int(sequence_length, "sequence_length")
        is_text = backbone.vocabulary_size is not None
        if head_norm not in ("auto", True, False):
            raise ValueError(f"`head_norm` must be 'auto', True or False, received {head_norm!r}.")
        if head in ("classification", "tagging"):
            check_int(
                num_classes,
                "num_classes",
                2,
                expected=f"an int ≥ 2 for head={head!r} (a softmax or sigmoid needs two classes at least)",
            )
        elif num_classes is not None:
            raise ValueError(
                f"`num_classes` applies to classification and tagging heads, received "
                f"num_classes={num_classes!r} with head={head!r}."
            )
        if head == "regression":
            output_dim = 1 if output_dim is None else output_dim
            check_positive_int(output_dim, "output_dim")
        elif output_dim is not None:
            raise ValueError(
                f"`output_dim` applies to the regression head, received output_dim={output_dim!r} with head={head!r}."
            )
        if head == "forecast":
            if is_text:
                raise ValueError(
                    "head='forecast' needs a time-series backbone (input_dim set); this backbone "
                    f"reads token ids (vocabulary_size={backbone.vocabulary_size})."
                )
            check_positive_int(horizon, "horizon")
            channels = normalizer.channels if normalizer is not None else backbone.input_dim
            target_channels = list(range(channels)) if target_channels is None else list(target_channels)
            if not target_channels or any(
                isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < channels for c in target_channels
            ):
                raise ValueError(
                    f"`target_channels` must be channel indices in [0, {channels}), received {target_channels!r}."
                )
        elif horizon is not None:
            raise ValueError(
                f"`horizon` applies to the forecast head, received horizon={horizon!r} with head={head!r}."
            )
        if is_text and normalizer is not None:
            raise ValueError("A text backbone takes no `normalizer`.")
        if is_text and step_encoder is not None:
            raise ValueError("A text backbone takes no `step_encoder`.")
        if not is_text and normalizer is None:  # a bare feature backbone: fitted on the first `fit`
            from rs3l_keras.data.series import SeriesNormalization

            if step_encoder is not None:
                raise ValueError("A `step_encoder` needs the `normalizer` it was trained behind.")
            normalizer = SeriesNormalization(backbone.input_dim, name="normalizer")

        # === Layers ===
        self.backbone = backbone
        self.normalizer = normalizer
        self.step_encoder = step_encoder
        self.attention = AttentionPooling(name="attention_pooling") if pooling == "attention" else None
        use_norm = (is_text if head_norm == "auto" else head_norm) and head != "tagging"
        self.head_norm_layer = keras.layers.BatchNormalization(momentum=0.9, name="head_norm") if use_norm else None
        self.head_dropout = keras.layers.Dropout(dropout, name="head_dropout")
        if head == "classification":
            units = 1 if num_classes == 2 else num_classes
        elif head == "tagging":
            units = num_classes
        elif head == "regression":
            units = output_dim
        else:
            units = horizon * len(target_channels)
        self.head_layer = keras.layers.Dense(units, dtype="float32", name=f"{head}_head")

        # === Functional graph ===
        if is_text:
            inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
            valid = ops.not_equal(inputs, PAD_ID)
            outputs = backbone(inputs)
        else:
            inputs = keras.Input(shape=(None, normalizer.channels), dtype="float32", name="features")
            valid = ops.logical_not(ops.all(ops.isnan(inputs), axis=-1))
            features = normalizer(inputs)
            outputs = backbone(step_encoder(features) if step_encoder is not None else features)
        sequence, pooled = outputs["sequence_output"], outputs["pooled_output"]
        if head == "tagging":
            result = self.head_layer(self.head_dropout(sequence))  # no batch statistics over padding
        else:
            features = _pool(pooling, sequence, pooled, valid, self.attention)
            if self.head_norm_layer is not None:
                features = self.head_norm_layer(features)
            features = self.head_dropout(features)
            result = self.head_layer(features)
            if head == "classification" and num_classes == 2:
                result = ops.sigmoid(result)
            elif head == "classification":
                result = ops.softmax(result, axis=-1)
            elif head == "forecast":
                result = ops.reshape(result, (-1, horizon, len(target_channels)))
                result = normalizer(result, inverse=True, channels=target_channels)
        super().__init__(inputs=inputs, outputs=result, tokenizer=tokenizer, **kwargs)

        # === Config ===
        self.head = head
        self.num_classes = num_classes
        self.output_dim = output_dim
        self.horizon = horizon
        self.pooling = pooling
        self.dropout = dropout
        self.target_channels = target_channels
        self.sequence_length = sequence_length
        self.head_norm = head_norm

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "backbone": keras.saving.serialize_keras_object(self.backbone),
                "normalizer": None if self.normalizer is None else keras.saving.serialize_keras_object(self.normalizer),
                "step_encoder": (
                    None if self.step_encoder is None else keras.saving.serialize_keras_object(self.step_encoder)
                ),
                "head": self.head,
                "num_classes": self.num_classes,
                "output_dim": self.output_dim,
                "horizon": self.horizon,
                "pooling": self.pooling,
                "dropout": self.dropout,
                "target_channels": self.target_channels,
                "sequence_length": self.sequence_length,
                "head_norm": self.head_norm,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("normalizer", "step_encoder"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return super().from_config(config)

    @property
    def is_text(self):
        return self.backbone.vocabulary_size is not None

    @property
    def input_dim(self):
        """Channels of the raw series this model takes (None for text)."""
        return None if self.is_text else self.normalizer.channels

    def encoder_model(self):
        """Time series: a functional model, raw series → the backbone's outputs dict."""
        if self.is_text:
            raise TypeError("`encoder_model` is for time-series models; text models use `backbone` on token ids.")
        inputs = keras.Input(shape=(None, self.input_dim), dtype="float32", name="features")
        features = self.normalizer(inputs)
        if self.step_encoder is not None:
            features = self.step_encoder(features)
        return keras.Model(inputs, self.backbone(features), name=f"{self.name}_encoder")

    # -- compile --------------------------------------------------------------------------
    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Keras `compile` with defaults per head: Adam(1e-3, global_clipnorm=1.0); binary
        cross-entropy + accuracy (2 classes), sparse cross-entropy + accuracy (more classes,
        tagging with label −1 ignored), MSE + MAE (regression, forecast)."""
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(learning_rate=1e-3, global_clipnorm=1.0)
        if loss == "auto":
            if self.head == "classification" and self.num_classes == 2:
                loss = keras.losses.BinaryCrossentropy()
            elif self.head == "classification":
                loss = keras.losses.SparseCategoricalCrossentropy()
            elif self.head == "tagging":
                loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE_LABEL)
            else:
                loss = keras.losses.MeanSquaredError()
        if metrics == "auto":
            if self.head == "classification" and self.num_classes == 2:
                metrics = [keras.metrics.BinaryAccuracy(name="accuracy")]
            elif self.head == "classification":
                metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
            elif self.head == "tagging":
                metrics = []
            else:
                metrics = [keras.metrics.MeanAbsoluteError(name="mae")]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    # -- data -----------------------------------------------------------------------------
    def prepare_inputs(self, x, name="x"):
        """Raw strings / token ids / series → the padded array the graph takes."""
        from rs3l_keras.data import series as series_data

        if self.is_text:
            if isinstance(x, str):
                x = [x]
            if isinstance(x, (list, tuple)) and x and all(isinstance(t, str) for t in x):
                if self.tokenizer is None:
                    raise ValueError("String inputs need a tokenizer; this model has none.")
                from rs3l_keras.data.windowing import pad_ids

                return pad_ids([self.tokenizer.encode(t)[: self.sequence_length] for t in x])
            from rs3l_keras.data.windowing import check_token_ids

            ids = np.asarray(x)
            if ids.ndim != 2:
                raise ValueError(
                    f"`{name}` must be a list of str or (batch, time) token ids, received shape {ids.shape}."
                )
            check_token_ids(ids, self.backbone.vocabulary_size, name)
            return ids.astype("int32")
        return series_data.pad_series(series_data.as_series_list(x, name=name, channels=self.input_dim))

    def prepare_targets(self, y, n, inputs=None, name="y"):
        """Checks labels / targets against the head and returns an array."""
        if y is None:
            raise ValueError(f"A {self.head} model needs targets: `{name}` is None.")
        if self.head == "tagging":
            width = inputs.shape[1]
            if len(y) != n:
                raise ValueError(f"`{name}` has {len(y)} label sequences for {n} inputs: expected one per input.")
            out = np.full((n, width), IGNORE_LABEL, "int32")
            for i, labels in enumerate(y):
                labels = np.asarray(labels)[:width]
                length = int((inputs[i] != PAD_ID).sum())
                if len(labels) < length and len(labels) != length:
                    raise ValueError(
                        f"`{name}[{i}]` has {len(labels)} labels for {length} tokens: expected one per token."
                    )
                out[i, : len(labels)] = labels
            values = out[out != IGNORE_LABEL]
        else:
            out = np.asarray(y)
            if len(out) != n:
                raise ValueError(f"`{name}` has {len(out)} targets for {n} inputs: expected one per input.")
            values = out
        if self.head in ("classification", "tagging"):
            if values.dtype.kind not in "iub" or (
                values.size and (values.min() < 0 or values.max() >= self.num_classes)
            ):
                bad = (
                    values[(values < 0) | (values >= self.num_classes)][:1]
                    if values.dtype.kind in "iub"
                    else values[:1]
                )
                raise ValueError(
                    f"`{name}` must hold integer class ids in [0, {self.num_classes}), received "
                    f"{bad.tolist()} (dtype {values.dtype})."
                )
            return out.astype("float32" if self.head == "classification" and self.num_classes == 2 else "int32")
        out = out.astype("float32")
        if not np.isfinite(out).all():
            raise ValueError(f"`{name}` has non-finite targets: expected finite numbers.")
        if self.head == "regression":
            out = out.reshape(n, -1)
            if out.shape[1] != self.output_dim:
                raise ValueError(
                    f"`{name}` has {out.shape[1]} values per input: expected output_dim={self.output_dim}."
                )
        if self.head == "forecast":
            expected = (n, self.horizon, len(self.target_channels))
            out = out.reshape(n, self.horizon, -1) if out.ndim == 2 and len(self.target_channels) == 1 else out
            if out.shape != expected:
                raise ValueError(f"`{name}` has shape {out.shape}: expected {expected} (n, horizon, target channels).")
        return out

    def make_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Raw inputs + targets → batched `tf.data.Dataset` (a dataset passes through)."""
        import tensorflow as tf

        from rs3l_keras.data.windowing import shuffled_batches

        if isinstance(x, tf.data.Dataset):
            return x
        if x is None:
            raise ValueError("`x` is None: expected inputs.")
        inputs = self.prepare_inputs(x)
        if inputs.shape[0] == 0:
            raise ValueError("`x` is a batch of size 0: nothing to train on.")
        targets = self.prepare_targets(y, len(inputs), inputs)
        batch_size = batch_size or 32
        check_positive_int(batch_size, "batch_size")
        if shuffle:
            data = shuffled_batches((inputs, targets), batch_size, seed=seed, epoch=epoch)
        else:
            data = tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(batch_size)
        if self.is_text:  # cut each batch to its longest text: no steps spent on padding only

            def trim(ids, labels):
                width = tf.maximum(1, tf.reduce_max(tf.reduce_sum(tf.cast(ids != PAD_ID, tf.int32), axis=1)))
                return ids[:, :width], (labels[:, :width] if self.head == "tagging" else labels)

            data = data.map(trim)
        return data.prefetch(tf.data.AUTOTUNE)

    def fit(self, x=None, y=None, *args, **kwargs):
        """Keras `fit` on raw inputs and targets (see `make_dataset`). A time-series model
        whose normaliser was never fitted (built from a bare backbone) fits it on `x` first."""
        if self.normalizer is not None and not self.normalizer.is_adapted:
            from rs3l_keras.data import series as series_data

            self.normalizer.adapt(series_data.as_series_list(x, channels=self.input_dim))
        return super().fit(x, y, *args, **kwargs)

    def predict(self, x, batch_size=None, **kwargs):
        """Keras `predict` on raw strings, token ids or raw series. Series of unequal
        length are predicted in groups of equal length (no padding, so results do not
        depend on what else is in the batch) and returned in input order."""
        import tensorflow as tf

        from rs3l_keras.data import series as series_data

        if isinstance(x, tf.data.Dataset):
            return keras.Model.predict(self, x, batch_size=batch_size, **kwargs)
        if self.is_text:
            return keras.Model.predict(self, self.prepare_inputs(x), batch_size=batch_size, **kwargs)
        series = series_data.as_series_list(x, name="x", channels=self.input_dim)
        parts = {
            length: keras.Model.predict(self, np.stack([series[i] for i in idx]), batch_size=batch_size, **kwargs)
            for length, idx in series_data.length_buckets(series).items()
        }
        first = next(iter(parts.values()))
        out = np.empty((len(series), *first.shape[1:]), first.dtype)
        for length, idx in series_data.length_buckets(series).items():
            out[idx] = parts[length]
        return out

    # -- layer groups (ULMFiT) --------------------------------------------------------------
    def layer_groups(self):
        """Variables grouped for discriminative learning rates and gradual unfreezing:
        `[head (+attention), top recurrent layer, …, first recurrent layer, input layer]`."""
        head = list(self.head_layer.weights) + (list(self.attention.weights) if self.attention else [])
        if self.head_norm_layer is not None:
            head += list(self.head_norm_layer.trainable_weights)
        groups = [head]
        for layer in reversed(self.backbone.rnn_layers):
            groups.append(list(layer.weights))
        bottom = list(self.backbone.token_embedding.weights) if self.backbone.token_embedding is not None else []
        if self.step_encoder is not None:
            bottom += list(self.step_encoder.trainable_weights)
        groups.append(bottom)
        return groups

    def freeze_backbone(self, frozen=True):
        """Freezes (or unfreezes) the whole backbone; recompile afterwards."""
        self.backbone.trainable = not frozen


def _source_parts(source):
    """(backbone, tokenizer, normalizer, step_encoder) of a preset name/path or a model."""
    import os

    from rs3l_keras.zoo import load_pretrained

    if isinstance(source, (str, os.PathLike)):
        source = load_pretrained(source, compile=False)
    if isinstance(source, RNNBackbone):
        return source, None, None, None
    backbone = getattr(source, "backbone", None)
    if not isinstance(backbone, RNNBackbone):
        raise TypeError(
            f"`model` must be a preset name or path, an rs3l_keras objective or an RNNBackbone, "
            f"received {type(source).__name__}."
        )
    step_encoder = getattr(source, "step_encoder", None)
    if isinstance(step_encoder, (list, tuple)):  # e.g. CPC's per-step encoder: a list of layers
        step_encoder = keras.Sequential(list(step_encoder), name="step_encoder") if step_encoder else None
    return backbone, getattr(source, "tokenizer", None), getattr(source, "normalizer", None), step_encoder


def _clone(layer, input_shape=None):
    """A new layer of the same config holding a bit-for-bit copy of the weights."""
    if isinstance(layer, keras.Sequential):
        copy = keras.Sequential([type(sub).from_config(sub.get_config()) for sub in layer.layers], name=layer.name)
    else:
        copy = type(layer).from_config(layer.get_config())
    if input_shape is not None and not copy.built:
        copy.build(input_shape)
    copy.set_weights(layer.get_weights())
    return copy


def finetune(
    model,
    head="classification",
    num_classes=None,
    output_dim=None,
    horizon=None,
    pooling="last+mean+max",
    freeze=None,
    dropout=0.1,
    target_channels=None,
    sequence_length=512,
    compile=True,
    tokenizer=None,
    head_norm="auto",
    **kwargs,
):
    """Builds a downstream model around a pretrained backbone.

    The pretext head is dropped; the backbone (and its tokenizer or normaliser) is copied
    with its weights bit for bit, so fine-tuning never changes the source model; the new
    head is freshly initialised.

    Args:
        model: a preset name or directory, an rs3l_keras objective (any of them), a
            `FineTunedModel`, or an `RNNBackbone`.
        head: `"classification"`, `"regression"`, `"tagging"` or `"forecast"`.
        num_classes: int ≥ 2 (classification, tagging).
        output_dim: int (regression, default 1).
        horizon: int (forecast).
        pooling: `"last+mean+max"` (default: the last state, the mean and the max over the
            real steps, concatenated — ULMFiT's concat pooling and the probes' default),
            `"last"`, `"mean"`, `"max"` or `"attention"`.
        freeze: None or `"backbone"` (train the head only).
        dropout: dropout before the head.
        target_channels: forecast head: which channels to predict (default all).
        sequence_length: text inputs are cut to this many tokens (formerly `max_length`,
            still accepted with a DeprecationWarning).
        head_norm: `"auto"` (BatchNormalization before the head for text, none for series),
            True or False.
        compile: compile with the head's defaults (see `FineTunedModel.compile`).
        tokenizer: the tokenizer to use when `model` is a bare token `RNNBackbone`.

    Returns:
        a `FineTunedModel` (a plain Keras model: `fit`, `evaluate`, `predict`, `save`).

    Example:
    >>> import rs3l_keras as rs3l
    >>> clf = rs3l.finetune("lstm-lm-small", head="classification", num_classes=2, sequence_length=64)
    >>> history = clf.fit(["great tea", "awful, stale"] * 4, [1, 0] * 4, epochs=1, verbose=0)
    >>> clf.predict(["lovely"], verbose=0).shape
    (1, 1)
    """
    sequence_length = renamed_argument(kwargs, "max_length", "sequence_length", sequence_length, 512)
    if freeze not in (None, "backbone"):
        raise ValueError(f"`freeze` must be None or 'backbone', received {freeze!r}.")
    backbone, source_tokenizer, normalizer, step_encoder = _source_parts(model)
    if tokenizer is not None and source_tokenizer is not None and tokenizer != source_tokenizer:
        raise ValueError(
            "`tokenizer` differs from the one that came with `model`: the backbone's embedding "
            "was trained with its own vocabulary."
        )
    tokenizer = tokenizer or source_tokenizer
    backbone = _clone(backbone)
    if normalizer is not None:
        normalizer = _clone(normalizer)
    if step_encoder is not None:
        step_encoder = _clone(step_encoder, (None, None, normalizer.channels))
    if backbone.vocabulary_size is not None:
        normalizer = None
    result = FineTunedModel(
        backbone,
        head=head,
        num_classes=num_classes,
        output_dim=output_dim,
        horizon=horizon,
        pooling=pooling,
        dropout=dropout,
        tokenizer=tokenizer,
        normalizer=normalizer,
        target_channels=target_channels,
        sequence_length=sequence_length,
        step_encoder=step_encoder,
        head_norm=head_norm,
        **kwargs,
    )
    if freeze == "backbone":
        result.freeze_backbone()
    if compile:
        result.compile()
    return result
