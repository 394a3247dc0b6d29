"""`Streamer`: step-by-step inference that carries the recurrent state across calls.

A recurrent network reads a stream in constant time and memory per step: the state after
step t summarises everything before it. `Streamer` keeps that state (and, where the model
needs them, the few past inputs of a causal convolution and the running sums of mean/max
pooling) between calls, so each new step costs one cell update instead of a pass over the
whole window. The outputs equal those of the full-sequence model on the prefix read so far.
"""

import os

import keras
import numpy as np
from keras import ops

from rs3l_keras.backbones.rnn_backbone import RNNBackbone
from rs3l_keras.validation import check_positive_int, no_other_arguments, renamed_argument

__all__ = ["AnomalyStreamer", "ForecastStreamer", "Streamer"]

NEG = -1e9  # the full-sequence max pooling's fill value for padded steps
# Each pooling as the parts it concatenates, in order; "mean" keeps a running sum and count,
# "max" a running maximum ("last" is the state itself).
POOLING_PARTS = {
    "last": ("last",),
    "mean": ("mean",),
    "max": ("max",),
    "last_mean": ("last", "mean"),  # ContrastiveEncoder
    "last+mean": ("last", "mean"),
    "last+mean+max": ("last", "mean", "max"),  # FineTunedModel: ULMFiT's concat pooling
}


class _StepLayer(keras.layers.Layer):
    """One stream step as a layer (for `Streamer.step_model`): owns the source model, so its
    weights travel with the exported graph."""

    def __init__(self, streamer, **kwargs):
        super().__init__(**kwargs)
        self.source = streamer.model
        self._step = streamer._step_fn

    def call(self, x, states):
        output, states = self._step(x, list(states))
        return output, states


class Streamer:
    """Step-by-step inference over one stream per batch row, the state kept between calls.

    What a step returns depends on the model:
        `LanguageModel`: the next-token probabilities `(vocabulary_size,)`.
        `FineTunedModel` (any pooling but attention: last, mean, max, last+mean+max): the
            head's output as if the sequence ended at this step (classification
            probabilities, regression values, forecasts, or a tagging head's logits).
        `CPC`, `ContrastiveEncoder`: the series embedding of the prefix read so far.
        `SequenceAutoencoder`: the code of the prefix read so far.
        `RNNBackbone` (unidirectional): the top layer's state.

    Inputs are what the model's pipeline takes, one step at a time: a token id (int) or a
    one-token string for text; a raw observation `(channels,)` (or a float when C = 1) for
    series, normalised inside. Stream from the first observed step (no padding).
    A batch of streams: `batch_size=n` and `(n,)` ids or `(n, channels)` observations.

    Args:
        model: one of the models above, or a preset name or path.
        batch_size: int, default 1. Number of parallel streams.

    Example:
    >>> import numpy as np, rs3l_keras as rs3l
    >>> lm = rs3l.load_pretrained("lstm-lm-small")
    >>> stream = rs3l.Streamer(lm)
    >>> probs = stream.feed("To be, or not to b")[-1]  # one distribution per character read
    >>> lm.tokenizer.decode([int(np.argmax(probs))])
    'e'
    >>> full = keras.ops.softmax(lm.predict_on_batch(lm.tokenizer.encode("To be, or not to b")[None]))[0, -1]
    >>> bool(np.allclose(probs, full, atol=1e-5))
    True
    """

    def __init__(self, model, batch_size=1):
        if isinstance(model, (str, os.PathLike)):
            from rs3l_keras.zoo import load_pretrained

            model = load_pretrained(model, compile=False)
        check_positive_int(batch_size, "batch_size")
        self.model = model
        self.batch_size = batch_size
        self._plan(model)
        self.backbone._check_steppable()
        self._compiled = None
        self.reset()

    # -- what to run ------------------------------------------------------------------------
    def _plan(self, model):
        from rs3l_keras.finetune.model import FineTunedModel
        from rs3l_keras.objectives.contrastive import ContrastiveEncoder
        from rs3l_keras.objectives.cpc import CPC
        from rs3l_keras.objectives.language_model import LanguageModel
        from rs3l_keras.objectives.sequence_autoencoder import SequenceAutoencoder

        self.normalizer, self.convs, self.pooling, self.head = None, [], "last", None
        self.tokenizer = getattr(model, "tokenizer", None)
        if isinstance(model, RNNBackbone):
            self.backbone, self.output_name = model, "state"
        elif isinstance(model, LanguageModel):
            self.backbone, self.output_name = model.backbone, "probabilities"
            logits = getattr(model, "logits", model.lm_head)  # tied embeddings: projection + Eᵀ
            self.head = lambda h: ops.softmax(logits(h), axis=-1)
        elif isinstance(model, FineTunedModel):
            self.backbone, self.output_name, self.normalizer = model.backbone, "output", model.normalizer
            if model.step_encoder is not None:
                self.convs = list(model.step_encoder.layers)
            if model.pooling == "attention":
                raise ValueError(
                    "`model` pools with attention, which weighs every step by a softmax over the whole "
                    f"sequence: stream a model with pooling in {sorted(POOLING_PARTS)}."
                )
            self.pooling = "last" if model.head == "tagging" else model.pooling
            self.head = lambda pooled: _finetuned_head(model, pooled)
        elif isinstance(model, CPC):
            self.backbone, self.output_name, self.normalizer = model.backbone, "embedding", model.normalizer
            self.convs = list(model.step_encoder)
        elif isinstance(model, ContrastiveEncoder):
            self.backbone, self.output_name, self.normalizer = model.backbone, "embedding", model.normalizer
            self.pooling = model.pooling
        elif isinstance(model, SequenceAutoencoder):
            self.backbone, self.output_name, self.normalizer = model.backbone, "code", model.normalizer
            self.head = model.bottleneck
        else:
            raise TypeError(
                "`model` must be a LanguageModel, FineTunedModel, CPC, ContrastiveEncoder, SequenceAutoencoder "
                f"or RNNBackbone (or a preset of one), received {type(model).__name__}."
            )
        for conv in self.convs:
            if not isinstance(conv, keras.layers.Conv1D) or conv.padding != "causal" or conv.dilation_rate != (1,):
                raise ValueError(
                    f"`model`'s step encoder layer {conv.name!r} must be a causal Conv1D without dilation to stream."
                )
        self.is_text = self.backbone.vocabulary_size is not None
        self.channels = (
            None if self.is_text else (self.normalizer.channels if self.normalizer else self.backbone.input_dim)
        )

    # -- state ----------------------------------------------------------------------------
    def state_names(self):
        """Names of the state tensors, in the order of `states` and of the step graph."""
        names = []
        for i in range(len(self.backbone.rnn_layers)):
            names += [f"h_{i}", f"c_{i}"] if self.backbone.cell == "lstm" else [f"h_{i}"]
        names += [f"conv_{i}" for i in range(len(self.convs))]
        parts = POOLING_PARTS[self.pooling]
        names += ["pool_sum", "pool_count"] if "mean" in parts else []
        names += ["pool_max"] if "max" in parts else []
        return names

    def initial_states(self, batch_size=None):
        """Zero recurrent states, empty convolution windows, empty pooling sums (numpy)."""
        batch = batch_size or self.batch_size
        hidden = self.backbone.hidden_dim
        states = []
        for _ in self.backbone.rnn_layers:
            states += [np.zeros((batch, hidden), "float32")] * (2 if self.backbone.cell == "lstm" else 1)
        for conv in self.convs:
            states.append(np.zeros((batch, conv.kernel_size[0] - 1, conv.kernel.shape[1]), "float32"))
        parts = POOLING_PARTS[self.pooling]
        if "mean" in parts:
            states += [np.zeros((batch, hidden), "float32"), np.zeros((batch, 1), "float32")]
        if "max" in parts:
            states.append(np.full((batch, hidden), NEG, "float32"))
        return states

    def reset(self):
        """Starts new streams: the state goes back to zero (and, on JAX, whose compiled step
        holds the weights as constants, the weights are read again)."""
        self.states = [ops.convert_to_tensor(s) for s in self.initial_states()]
        self.steps = 0
        if self._compiled is None or keras.backend.backend() == "jax":
            self._compiled = _compile(self._step_fn)

    # -- one step -------------------------------------------------------------------------
    def _step_fn(self, x, states):
        """(x (B,) ids or (B, C) raw values, states) → (output, new states): pure, traceable."""
        states = list(states)
        new_states = []
        if self.is_text:
            v = self.backbone.token_embedding(x)  # (B, E)
        else:
            v = self.normalizer(x) if self.normalizer is not None else x  # (B, C), NaN → 0
        parts = POOLING_PARTS[self.pooling]
        num_rnn = len(states) - len(self.convs) - 2 * ("mean" in parts) - ("max" in parts)
        rnn_states, rest = states[:num_rnn], states[num_rnn:]
        for conv, window in zip(self.convs, rest):  # causal Conv1D: the last k−1 inputs + this one
            window = ops.concatenate([window, ops.expand_dims(v, 1)], axis=1)  # (B, k, C_in)
            v = ops.einsum("bkc,kco->bo", window, conv.kernel)
            if conv.use_bias:
                v = v + conv.bias
            v = conv.activation(v)
            new_states.append(window[:, 1:])
        per_layer = 2 if self.backbone.cell == "lstm" else 1
        rnn_new = []
        for i, layer in enumerate(self.backbone.rnn_layers):
            state = rnn_states[i * per_layer : (i + 1) * per_layer]
            v, state = layer.cell(v, state, training=False)
            rnn_new += list(state) if isinstance(state, (list, tuple)) else [state]
        h = v  # (B, H)
        pool = rest[len(self.convs) :]
        pieces, pool_new = {"last": h}, []
        if "mean" in parts:
            total, count = pool[0] + h, pool[1] + 1.0
            pieces["mean"] = total / count
            pool_new += [total, count]
        if "max" in parts:
            pieces["max"] = ops.maximum(pool[-1], h)
            pool_new.append(pieces["max"])
        pooled = pieces[parts[0]] if len(parts) == 1 else ops.concatenate([pieces[k] for k in parts], axis=-1)
        output = self.head(pooled) if self.head is not None else pooled
        return output, rnn_new + new_states + pool_new

    def _prepare(self, x):
        """One step of user input → (batch, …) array, and whether it came batched."""
        if self.is_text:
            if isinstance(x, str):
                ids = self._encode(x)
                if len(ids) != 1:
                    raise ValueError(f"`x` must be one token, received {x!r} ({len(ids)} tokens); use `feed` for text.")
                x = int(ids[0])
            ids = np.asarray(x)
            if ids.dtype.kind not in "iu" or ids.ndim > 1:
                raise ValueError(f"`x` must be a token id (int) or a (batch,) array of ids, received {x!r}.")
            batched = ids.ndim == 1
            ids = ids.reshape(-1).astype("int32")
            if (ids < 0).any() or (ids >= self.backbone.vocabulary_size).any():
                raise ValueError(f"`x` holds ids outside [0, {self.backbone.vocabulary_size}): {ids.tolist()}.")
            out = ids
        else:
            values = np.asarray(x, "float32")
            if values.ndim == 0:
                values = values.reshape(1)
            batched = values.ndim == 2
            if values.ndim not in (1, 2) or values.shape[-1] != self.channels:
                raise ValueError(
                    f"`x` must be one observation of {self.channels} channels, (channels,) or (batch, channels), "
                    f"received shape {values.shape}."
                )
            out = values.reshape(-1, self.channels)
        if len(out) != self.batch_size:
            raise ValueError(f"`x` holds {len(out)} streams; this Streamer has batch_size={self.batch_size}.")
        return out, batched

    def _encode(self, text):
        if self.tokenizer is None:
            raise ValueError("String input needs a tokenizer; this model has none: pass token ids.")
        return np.asarray(self.tokenizer.encode(text), "int32")

    def step(self, x):
        """Reads one step of every stream and returns the output after it (numpy;
        `(…)` for one unbatched stream, `(batch, …)` for batched input)."""
        inputs, batched = self._prepare(x)
        output, self.states = self._compiled(ops.convert_to_tensor(inputs), self.states)
        self.steps += 1
        output = ops.convert_to_numpy(output)
        return output if batched else output[0]

    def feed(self, sequence):
        """Reads many steps (text, `(time,)` ids, a `(time, channels)` series, or batched
        `(batch, time[, channels])`) and returns every step's output stacked on the time
        axis: `(time, …)`, or `(batch, time, …)` for batched input."""
        if self.is_text and isinstance(sequence, str):
            sequence = self._encode(sequence)
        values = np.asarray(sequence)
        if not self.is_text and self.channels == 1 and values.ndim == 1:
            values = values[:, None]
        unbatched_ndim = 1 if self.is_text else 2
        if values.ndim == unbatched_ndim:
            return np.stack([self.step(v) for v in values])
        if values.ndim == unbatched_ndim + 1:
            return np.stack([self.step(values[:, t]) for t in range(values.shape[1])], axis=1)
        raise ValueError(
            f"`sequence` must be {'text or (time,) token ids' if self.is_text else '(time, channels) values'}, "
            f"or a batch of them, received shape {values.shape}."
        )

    # -- a step as a graph ----------------------------------------------------------------
    def step_model(self):
        """A functional Keras model of one step with the state as explicit inputs and
        outputs: `{"x", <state names>}` → `{<output name>, "next_<state name>"…}`. Run it
        in a loop, feeding each step's `next_*` back as the state (`initial_states` to start)."""
        initial = self.initial_states(1)
        if self.is_text:
            x = keras.Input(shape=(), dtype="int32", name="x")
        else:
            x = keras.Input(shape=(self.channels,), dtype="float32", name="x")
        state_inputs = [
            keras.Input(shape=s.shape[1:], dtype="float32", name=name) for name, s in zip(self.state_names(), initial)
        ]
        output, new_states = _StepLayer(self, name="stream_step")(x, state_inputs)
        outputs = {self.output_name: output}
        outputs.update({f"next_{name}": s for name, s in zip(self.state_names(), new_states)})
        return keras.Model({"x": x, **{t.name: t for t in state_inputs}}, outputs, name=f"{self.model.name}_step")

    def export(self, path, format="tf_saved_model", batch_size=None):
        """Exports `step_model()` with `rs3l.export` (the tokenizer beside it for text)."""
        from rs3l_keras.serving import export

        return export(self.step_model(), path, format=format, batch_size=batch_size, tokenizer=self.tokenizer)


def _finetuned_head(model, pooled):
    """`FineTunedModel`'s head on pooled features, in inference mode (as its graph does)."""
    features = pooled
    if model.head_norm_layer is not None:
        features = model.head_norm_layer(features, training=False)
    result = model.head_layer(features)
    if model.head == "classification":
        return ops.sigmoid(result) if model.num_classes == 2 else ops.softmax(result, axis=-1)
    if model.head == "forecast":
        result = ops.reshape(result, (-1, model.horizon, len(model.target_channels)))
        return model.normalizer(result, inverse=True, channels=model.target_channels)
    return result


def _compile(fn):
    """The step function compiled once per backend (eager Python per op costs more than the
    step itself on TensorFlow and JAX)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, reduce_retracing=True)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    return fn


class AnomalyStreamer:
    """Per-step anomaly scores of a `SequenceAutoencoder` on a live stream, equal to
    `anomaly_scores(series)` (stride 1, the model's smoothing) on the whole series.

    A step's error averages the reconstruction errors of every window that covers it, so it
    is final once the window starting at that step has been read; its score, the centred
    mean of those errors over `smoothing` steps (the model's `anomaly_smoothing`), is final
    `smoothing − smoothing // 2 − 1` steps later. Each `step` runs the model on the latest
    window (constant cost per step, whatever the length of the stream) and returns the score
    of the step `delay` = `window − 1 + smoothing − smoothing // 2 − 1` steps back (None
    during the first `delay` steps); `flush()` returns the scores still pending at the end
    of the stream.
    The autoencoder's encoder restarts from zero at each window, so its state cannot be
    carried across steps: this streamer keeps the last `window` observations instead.

    Args:
        model: a `SequenceAutoencoder` (fitted) or a preset name or path of one.
        window: int or None (default: the model's `sequence_length`).
        smoothing: int or None (default: the model's `anomaly_smoothing`; 1: the unsmoothed
            errors, `anomaly_scores(series, smoothing=1)`).

    Example:
    >>> import numpy as np, rs3l_keras as rs3l
    >>> from rs3l_keras.data.series import load_kdd_tsad_135
    >>> model = rs3l.load_pretrained("lstm-autoencoder-ucr135")
    >>> series = load_kdd_tsad_135("train")[0][:80]
    >>> stream = AnomalyStreamer(model)
    >>> scores = [s for s in (stream.step(x) for x in series) if s is not None] + list(stream.flush())
    >>> bool(np.allclose(scores, model.anomaly_scores(series), rtol=1e-4, atol=1e-6))
    True
    """

    def __init__(self, model, window=None, smoothing=None):
        from rs3l_keras.objectives.sequence_autoencoder import SequenceAutoencoder

        if isinstance(model, (str, os.PathLike)):
            from rs3l_keras.zoo import load_pretrained

            model = load_pretrained(model, compile=False)
        if not isinstance(model, SequenceAutoencoder):
            raise TypeError(
                f"`model` must be a SequenceAutoencoder (or a preset of one), received {type(model).__name__}."
            )
        if not model.normalizer.is_adapted:
            raise ValueError("`model`'s normaliser is not fitted: call `fit` (or `adapt`) first.")
        window = model.sequence_length if window is None else window
        check_positive_int(window, "window")
        smoothing = model.anomaly_smoothing if smoothing is None else smoothing
        check_positive_int(smoothing, "smoothing")
        self.model, self.window, self.channels, self.smoothing = model, window, model.input_dim, smoothing
        self.delay = window - 1 + smoothing - smoothing // 2 - 1
        self.reset()

    def reset(self):
        """Starts a new stream."""
        self.steps = 0
        self._values = np.zeros((0, self.channels), "float32")  # the last `window` observations
        self._total = np.zeros(0, "float64")  # error sums of the steps not yet final
        self._count = np.zeros(0, "float64")
        self._final = np.zeros(0, "float64")  # final errors from step `_first` on, for the smoothing
        self._first = self._next = self._n_final = 0  # `_next`: the next step whose score is returned

    def _smoothed(self, errors, end=False):
        """Appends final per-step errors; returns the scores that became final (all pending at `end`)."""
        self._final = np.append(self._final, errors)
        self._n_final += len(errors)
        half, out = self.smoothing // 2, []
        while self._next < self._n_final and (end or self._next - half + self.smoothing <= self._n_final):
            low = max(self._next - half, 0) - self._first
            high = min(self._next - half + self.smoothing, self._n_final) - self._first
            out.append(self._final[low:high].mean())
            self._next += 1
        keep = max(self._next - half, 0)  # the oldest error a later score still reads
        self._final, self._first = self._final[keep - self._first :], keep
        return np.asarray(out, "float32")

    def _errors(self, window):
        """Per-step squared reconstruction error (mean over channels) of one window."""
        return self.model.window_errors(window[None])[0]

    def step(self, x):
        """Reads one observation (`(channels,)`, or a float when C = 1); returns the final
        score (float) of the step `delay` steps back, or None while there is none."""
        value = np.asarray(x, "float32").reshape(-1)
        if value.shape != (self.channels,):
            raise ValueError(f"`x` must be one observation of {self.channels} channels, received shape {np.shape(x)}.")
        self._values = np.concatenate([self._values, value[None]])[-self.window :]
        self._total = np.append(self._total, 0.0)
        self._count = np.append(self._count, 0.0)
        self.steps += 1
        if self.steps < self.window:
            return None
        self._total[-self.window :] += self._errors(self._values)
        self._count[-self.window :] += 1
        scores = self._smoothed([self._total[0] / self._count[0]])
        self._total, self._count = self._total[1:], self._count[1:]
        return float(scores[0]) if len(scores) else None

    def flush(self):
        """Scores of the steps still pending (the last `delay`), float32 `(n,)`; the
        stream is then reset."""
        if 0 < self.steps < self.window:  # a stream shorter than one window is one window
            self._total += self._errors(self._values)
            self._count += 1
        scores = self._smoothed(self._total / np.maximum(self._count, 1), end=True)
        self.reset()
        return scores


class ForecastStreamer:
    """Rolling forecasts of a `Forecaster` on a live stream: each `step` appends one
    observation and forecasts the next `horizon` steps from the last `sequence_length`.

    The Forecaster rescales each history window by its own mean and standard deviation
    before the encoder reads it, so the encoder's state cannot be carried from step to step;
    the streamer keeps the window instead (constant cost per step), and each forecast equals
    `model.forecast(series[: t + 1])`.

    Args:
        model: a `Forecaster` (fitted) or a preset name or path of one.
        sequence_length: int or None (default: the model's `sequence_length`; formerly
            `context_length`, still accepted with a DeprecationWarning).
    """

    def __init__(self, model, sequence_length=None, **renamed):
        from rs3l_keras.objectives.forecaster import Forecaster

        sequence_length = renamed_argument(renamed, "context_length", "sequence_length", sequence_length, None)
        no_other_arguments(renamed, "ForecastStreamer")

        if isinstance(model, (str, os.PathLike)):
            from rs3l_keras.zoo import load_pretrained

            model = load_pretrained(model, compile=False)
        if not isinstance(model, Forecaster):
            raise TypeError(f"`model` must be a Forecaster (or a preset of one), received {type(model).__name__}.")
        sequence_length = model.sequence_length if sequence_length is None else sequence_length
        check_positive_int(sequence_length, "sequence_length")
        self.model, self.sequence_length, self.channels = model, sequence_length, model.input_dim
        self.reset()

    def reset(self):
        """Starts a new stream."""
        self.steps = 0
        self._values = np.zeros((0, self.channels), "float32")

    def step(self, x, covariates=None, **forecast_kwargs):
        """Reads one observation (all channels, raw) and returns `model.forecast` of the
        window read so far (a dict of `(horizon, targets)` arrays); `covariates` over the
        horizon as `forecast` takes them. Until the window holds one season, returns None."""
        value = np.asarray(x, "float32").reshape(-1)
        if value.shape != (self.channels,):
            raise ValueError(f"`x` must be one observation of {self.channels} channels, received shape {np.shape(x)}.")
        self._values = np.concatenate([self._values, value[None]])[-self.sequence_length :]
        self.steps += 1
        if self.model.season and len(self._values) < self.model.season:
            return None
        return self.model.forecast(
            self._values, covariates=covariates, sequence_length=self.sequence_length, **forecast_kwargs
        )
