"""`RNNBackbone`: token ids or real-valued features → stacked LSTM/GRU/SimpleRNN states."""

import keras
from keras import ops

from rs3l_keras.backbones import fused as fused_lib
from rs3l_keras.functional import TorchSafeSetattr
from rs3l_keras.validation import check_number, check_one_of, check_positive_int

CELLS = fused_lib.CELLS


@keras.saving.register_keras_serializable(package="rs3l_keras")
class RNNBackbone(TorchSafeSetattr, keras.Model):
    """A stack of recurrent layers; knows no loss (every objective wraps one).

    Token input (`vocabulary_size` set): `token_ids` (batch, time) int32 → embedding → RNNs.
    Feature input (`input_dim` set): `features` (batch, time, input_dim) float → RNNs.

    The recurrent layers keep Keras' defaults (tanh/sigmoid, biases, no recurrent dropout,
    no unrolling, GRU `reset_after=True`) so they stay eligible for the fused cuDNN kernel
    on GPU. No Keras mask is propagated (masks turn that kernel off on JAX and torch):
    token sequences are right-padded with id 0 and `pooled_output` reads the state at the
    last non-padding step instead.

    Reference: Hochreiter & Schmidhuber (1997), LSTM; Cho et al. (2014), GRU.

    Args:
        vocabulary_size: int or None. Number of token ids (token input).
        input_dim: int or None. Channels of real-valued input (feature input). Exactly one
            of `vocabulary_size` / `input_dim` is given.
        cell: `"lstm"` (default), `"gru"` or `"simple"`.
        num_layers: int, default 1.
        hidden_dim: int, default 256. Units per direction.
        embedding_dim: int or None. Token embedding size (default `hidden_dim`).
        bidirectional: bool, default False. Wrap each layer in `Bidirectional` (concat).
        dropout: float in [0, 1), default 0. Dropout on the non-recurrent connections
            (Zaremba et al., 2014): between layers, on the top layer's output and, for token
            input, on the embeddings. Never on the recurrent state, so the layers stay
            eligible for cuDNN.
        fused: `"auto"` (default), True or False. Whether the stack runs as one fused
            kernel where one exists (see `rs3l_keras.backbones.fused`); `"auto"` reads
            the environment variable `RS3L_FUSED_RNN` (`0`: off).

    Outputs (a dict):
        sequence_output: (batch, time, hidden_dim × directions).
        pooled_output: (batch, hidden_dim × directions): forward state at the last
            non-padding step; for bidirectional, concatenated with the backward state at
            step 0.

    Example:
    >>> import numpy as np
    >>> backbone = RNNBackbone(vocabulary_size=50, hidden_dim=8)
    >>> out = backbone(np.ones((2, 5), "int32"))
    >>> tuple(out["sequence_output"].shape), tuple(out["pooled_output"].shape)
    ((2, 5, 8), (2, 8))
    """

    def __init__(
        self,
        vocabulary_size=None,
        input_dim=None,
        cell="lstm",
        num_layers=1,
        hidden_dim=256,
        embedding_dim=None,
        bidirectional=False,
        dropout=0.0,
        fused="auto",
        dtype=None,
        **kwargs,
    ):
        if (vocabulary_size is None) == (input_dim is None):
            raise ValueError(
                "Give exactly one of `vocabulary_size` (token input) or `input_dim` (feature "
                f"input), received vocabulary_size={vocabulary_size!r}, input_dim={input_dim!r}."
            )
        for name, value in (
            ("vocabulary_size", vocabulary_size),
            ("input_dim", input_dim),
            ("num_layers", num_layers),
            ("hidden_dim", hidden_dim),
            ("embedding_dim", embedding_dim),
        ):
            if value is not None:
                check_positive_int(value, name)
        check_one_of(cell, "cell", sorted(CELLS))
        check_number(dropout, "dropout", 0, 1, high_open=True, expected="a float in [0, 1)")
        check_one_of(fused, "fused", list(fused_lib.SWITCH))
        embedding_dim = embedding_dim or hidden_dim

        # === Layers ===
        self.token_embedding = None
        if vocabulary_size is not None:
            self.token_embedding = keras.layers.Embedding(
                vocabulary_size, embedding_dim, dtype=dtype, name="token_embedding"
            )
        self.rnn_layers = []
        self.dropout_layers = []
        for i in range(num_layers):
            layer = CELLS[cell](hidden_dim, return_sequences=True, fused=fused, dtype=dtype, name=f"{cell}_{i}")
            if bidirectional:
                layer = keras.layers.Bidirectional(layer, dtype=dtype, name=f"bidirectional_{i}")
            self.rnn_layers.append(layer)
            if i > 0:
                self.dropout_layers.append(keras.layers.Dropout(dropout, dtype=dtype, name=f"dropout_{i}"))
        # Created only when used, so models without dropout keep their saved layout.
        self.embedding_dropout = self.output_dropout = None
        if dropout > 0:
            if vocabulary_size is not None:
                self.embedding_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embedding_dropout")
            self.output_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="output_dropout")

        # === Functional graph ===
        if vocabulary_size is not None:
            inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
            x = self.token_embedding(inputs)
            if self.embedding_dropout is not None:
                x = self.embedding_dropout(x)
        else:
            inputs = keras.Input(shape=(None, input_dim), dtype="float32", name="features")
            x = inputs
        for i, layer in enumerate(self.rnn_layers):
            if i > 0:
                x = self.dropout_layers[i - 1](x)
            x = layer(x)
        if self.output_dropout is not None:
            x = self.output_dropout(x)
        super().__init__(
            inputs=inputs,
            outputs=_outputs(inputs, x, hidden_dim, vocabulary_size is not None, bidirectional),
            dtype=dtype,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.input_dim = input_dim
        self.cell = cell
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.embedding_dim = embedding_dim
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.fused = fused

    def call(self, inputs, training=None, mask=None):
        """The functional graph, except where the whole recurrent stack can run as one fused
        kernel over the same weights (see `rs3l_keras.backbones.fused`): an LSTM stack on
        JAX with a GPU (cuDNN), and every stack on torch (PyTorch's own RNN kernels)."""
        path = fused_lib.fused_available(self, training)
        if path is None:
            return super().call(inputs, training=training, mask=mask)
        x = self.token_embedding(inputs) if self.token_embedding is not None else inputs
        if path == "torch":
            if self.embedding_dropout is not None:
                x = self.embedding_dropout(x, training=training)
            sequence = fused_lib.torch_fused_rnn(x, self, training=training)
        else:
            sequence = fused_lib.fused_lstm(x, [layer.cell for layer in self.rnn_layers])
        sequence = ops.cast(sequence, self.compute_dtype)
        if path == "torch" and self.output_dropout is not None:
            sequence = self.output_dropout(sequence, training=training)
        return _outputs(inputs, sequence, self.hidden_dim, self.token_embedding is not None, self.bidirectional)

    @property
    def output_dim(self):
        """Size of the last axis of both outputs."""
        return self.hidden_dim * (2 if self.bidirectional else 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "input_dim": self.input_dim,
                "cell": self.cell,
                "num_layers": self.num_layers,
                "hidden_dim": self.hidden_dim,
                "embedding_dim": self.embedding_dim,
                "bidirectional": self.bidirectional,
                "dropout": self.dropout,
                "fused": self.fused,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- one step at a time (generation) --------------------------------------------------
    def initial_states(self, batch_size):
        """Zero recurrent states, one list per layer (unidirectional backbones only)."""
        self._check_steppable()
        return [layer.cell.get_initial_state(batch_size) for layer in self.rnn_layers]

    def step(self, inputs, states):
        """Advances the stack by one time step, reusing the layers' own cells and weights.

        Args:
            inputs: (batch,) int token ids, or (batch, input_dim) features.
            states: the list returned by `initial_states` or a previous `step`.

        Returns:
            `(output, states)`: output (batch, hidden_dim) of the top layer.
        """
        self._check_steppable()
        x = self.token_embedding(inputs) if self.token_embedding is not None else inputs
        new_states = []
        for layer, state in zip(self.rnn_layers, states):
            x, state = layer.cell(x, state, training=False)
            new_states.append(state if isinstance(state, (list, tuple)) else [state])
        return x, new_states

    def _check_steppable(self):
        if self.bidirectional:
            raise ValueError(
                "Step-by-step decoding needs a unidirectional backbone, received "
                "bidirectional=True (the backward direction needs the whole sequence)."
            )


def _outputs(inputs, sequence_output, hidden_dim, token_input, bidirectional):
    """The backbone's output dict from its input and its top layer's sequence."""
    forward = sequence_output[:, :, :hidden_dim]
    if token_input:  # state at the last non-padding step (right padding)
        lengths = ops.sum(ops.cast(ops.not_equal(inputs, 0), "int32"), axis=1)
        last = ops.reshape(ops.maximum(lengths - 1, 0), (-1, 1, 1))
        pooled = ops.take_along_axis(forward, last, axis=1)[:, 0, :]
    else:
        pooled = forward[:, -1, :]
    if bidirectional:
        pooled = ops.concatenate([pooled, sequence_output[:, 0, hidden_dim:]], axis=-1)
    return {"sequence_output": sequence_output, "pooled_output": pooled}


def check_backbone(backbone, kind, role="backbone", bidirectional=None, tokenizer=None):
    """An objective's `RNNBackbone`: `kind="token"` (embedding input, and a `tokenizer` of the
    same vocabulary size when given) or `"feature"` (real-valued input); with
    `bidirectional`, that direction."""
    if not isinstance(backbone, RNNBackbone):
        raise TypeError(f"`{role}` must be an RNNBackbone, received {type(backbone).__name__}.")
    if kind == "token" and backbone.vocabulary_size is None:
        raise ValueError(
            f"`{role}` must be a token backbone (vocabulary_size set), received a "
            f"feature backbone with input_dim={backbone.input_dim}."
        )
    if kind == "feature" and backbone.input_dim is None:
        raise ValueError(
            f"`{role}` must be a feature backbone (input_dim set) for time series, received "
            f"a token backbone with vocabulary_size={backbone.vocabulary_size}."
        )
    if bidirectional is not None and backbone.bidirectional != bidirectional:
        raise ValueError(
            f"`{role}` must have bidirectional={bidirectional} for this objective, "
            f"received bidirectional={backbone.bidirectional}."
        )
    if tokenizer is not None and tokenizer.vocabulary_size != backbone.vocabulary_size:
        raise ValueError(
            f"The tokenizer has {tokenizer.vocabulary_size} tokens but the {role}'s "
            f"vocabulary_size is {backbone.vocabulary_size}: they must match."
        )
