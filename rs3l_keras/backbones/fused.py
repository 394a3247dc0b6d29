"""One fused cuDNN call for a whole stack of LSTM layers on the JAX backend.

Keras runs a stack of `LSTM` layers as one cuDNN call per layer. cuDNN itself can run the
whole stack in one call, overlapping layer l+1 at step t with layer l at step t+1 (the
"wavefront" that PyTorch's `nn.LSTM(num_layers=N)` gets). On JAX with a GPU,
`RNNBackbone` hands its LSTM stack to `jax.experimental.rnn.lstm` in one call, reading the
**same Keras variables** (no copy, no conversion): checkpoints stay interchangeable with
the standard layers and with the other backends.

The fused call always computes in float32: `jax.experimental.rnn` has no bfloat16 cuDNN
kernel (Keras 3.15's own JAX LSTM path crashes under `mixed_bfloat16` with
"Unknown output type bfloat16"), so under a mixed policy the recurrent kernels stay in
float32 and the rest of the model runs in bfloat16.

Set the environment variable `RS3L_FUSED_RNN=0` to turn the fused path off (the standard
per-layer Keras path then runs).
"""

import os

import keras


def fused_lstm_available(backbone, training=False):
    """Whether `backbone`'s recurrent stack can run as one fused cuDNN call here."""
    if os.environ.get("RS3L_FUSED_RNN", "1") == "0" or keras.backend.backend() != "jax":
        return False
    if backbone.cell != "lstm" or backbone.bidirectional:
        return False
    if training and backbone.dropout > 0:  # Keras dropout runs between and around the layers
        return False
    return _jax_gpu_available()


def _jax_gpu_available():
    import jax

    return jax.default_backend() == "gpu"


def pack_lstm_weights(cells):
    """The flat cuDNN weight vector of a unidirectional LSTM stack from Keras cells.

    Layout (see `jax.experimental.rnn`): for each layer W_ih (4H, in), W_hh (4H, H); then
    for each layer b_ih (4H), b_hh (4H). Keras' gate order i, f, c, o is cuDNN's i, f, g, o;
    its kernels are the transposes; its single bias goes to b_ih and b_hh is zero.
    """
    import jax.numpy as jnp
    from keras.src.backend import AutocastScope  # no public switch to read float32 values

    linear, biases = [], []
    with AutocastScope(None):  # the float32 values, not a mixed policy's bfloat16 casts
        for cell in cells:
            kernel, recurrent, bias = (jnp.asarray(v.value, "float32")
                                       for v in (cell.kernel, cell.recurrent_kernel, cell.bias))
            linear += [kernel.T.ravel(), recurrent.T.ravel()]
            biases += [bias, jnp.zeros_like(bias)]
    return jnp.concatenate(linear + biases)


def fused_lstm(inputs, cells, lstm_fn=None):
    """Runs the LSTM `cells` (bottom first) over `inputs` (batch, time, features) in one
    cuDNN call from zero states; returns the top layer's sequence (batch, time, H), float32.

    `lstm_fn` replaces `jax.experimental.rnn.lstm` (tests use its reference implementation).
    """
    import jax.numpy as jnp

    if lstm_fn is None:
        from jax.experimental.rnn import lstm as lstm_fn
    x = jnp.asarray(inputs, "float32")
    batch, time = x.shape[0], x.shape[1]
    hidden = cells[0].units
    zeros = jnp.zeros((len(cells), batch, hidden), "float32")
    outputs, _, _ = lstm_fn(
        x, zeros, zeros, pack_lstm_weights(cells), jnp.full((batch,), time, "int32"),
        input_size=x.shape[-1], hidden_size=hidden, num_layers=len(cells), dropout=0.0,
        bidirectional=False,
    )
    return outputs
