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

NEG = -1e9  # the full-sequence max pooling's fill value for padded steps


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
        `FineTunedModel` (pooling last, mean or max; any head but attention pooling): the
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
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive int, received {batch_size!r}.")
        self.model = model
        self.batch_size = batch_size
        self._plan(model)
        self.backbone._check_steppable()
        self._compiled = _compile(self._step_fn)
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
            self.head = lambda h: ops.softmax(model.lm_head(h), axis=-1)
        elif isinstance(model, FineTunedModel):
            self.backbone, self.output_name, self.normalizer = model.backbone, "output", model.normalizer
            if model.step_encoder is not None:
                self.convs = list(model.step_encoder.layers)
            if model.pooling == "attention":
                raise ValueError(
                    "`model` pools with attention, which weighs every step by a softmax over the whole "
                    "sequence: stream a model with pooling 'last', 'mean' or 'max'."
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
        if self.pooling in ("mean", "last_mean"):
            names += ["pool_sum", "pool_count"]
        elif self.pooling == "max":
            names += ["pool_max"]
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
        if self.pooling in ("mean", "last_mean"):
            states += [np.zeros((batch, hidden), "float32"), np.zeros((batch, 1), "float32")]
        elif self.pooling == "max":
            states.append(np.full((batch, hidden), NEG, "float32"))
        return states

    def reset(self):
        """Starts new streams: the state goes back to zero."""
        self.states = [ops.convert_to_tensor(s) for s in self.initial_states()]
        self.steps = 0

    # -- one step -------------------------------------------------------------------------
    def _step_fn(self, x, states):
        """(x (B,) ids or (B, C) raw values, states) → (output, new states): pure, traceable."""
        states = list(states)
        new_states = []
        if self.is_text:
            v = self.backbone.token_embedding(x)  # (B, E)
        else:
            v = self.normalizer(x) if self.normalizer is not None else x  # (B, C), NaN → 0
        num_rnn = len(states) - len(self.convs) - {"mean": 2, "last_mean": 2, "max": 1}.get(self.pooling, 0)
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
        if self.pooling in ("mean", "last_mean"):
            total, count = pool[0] + h, pool[1] + 1.0
            mean = total / count
            pooled = mean if self.pooling == "mean" else ops.concatenate([h, mean], axis=-1)
            pool_new = [total, count]
        elif self.pooling == "max":
            pooled = ops.maximum(pool[0], h)
            pool_new = [pooled]
        else:
            pooled, pool_new = h, []
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
