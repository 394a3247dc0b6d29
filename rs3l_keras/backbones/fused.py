"""One fused kernel call for a whole stack of recurrent layers, over the same Keras weights.

**JAX + GPU (LSTM):**
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

**torch, CPU or GPU (LSTM, GRU, SimpleRNN; uni- or bidirectional):** Keras 3.15's torch
backend runs a recurrent layer on CPU as a Python loop over time steps (one matmul and one
autograd node per step). `RNNBackbone` instead hands the whole stack to PyTorch's own
multi-layer kernel, `torch._VF.lstm` / `gru` / `rnn_tanh` (what `torch.nn.LSTM` calls: oneDNN
on CPU, cuDNN on GPU), with the Keras variables as its parameters. Keras' gate orders map
onto PyTorch's (LSTM i, f, c, o = i, f, g, o; GRU z, r, h → r, z, n with `reset_after=True`,
whose two biases are PyTorch's b_ih and b_hh), so gradients flow into the Keras variables
and checkpoints stay interchangeable. Dropout between layers is PyTorch's (same rate, same
places; embedding and output dropout stay Keras layers). The kernel computes in the layer's
compute dtype, as Keras' own layers do: float32, or bfloat16 under `mixed_bfloat16` (the
float32 variables are cast on the way in, so their gradients stay float32).

One switch decides: `RNNBackbone(fused=...)` (and the recurrent decoders of the objectives,
which take their backbone's): `False` runs the standard per-layer Keras path, `True` the
fused path wherever one exists, and `"auto"` (the default) reads the environment variable
`RS3L_FUSED_RNN` (in `enabled`, the one place that reads it): fused unless it is `0`.
"""

import os

import keras

#: The values of the switch (`RNNBackbone(fused=...)`).
SWITCH = ("auto", True, False)


def enabled(fused="auto"):
    """The switch resolved: `True`/`False` as given; `"auto"`: unless `RS3L_FUSED_RNN=0`."""
    if isinstance(fused, str) and fused == "auto":
        return os.environ.get("RS3L_FUSED_RNN", "1") != "0"
    return bool(fused)


def fused_available(backbone, training=False):
    """Which fused path `backbone`'s recurrent stack takes here: "jax", "torch" or None."""
    if not enabled(backbone.fused):
        return None
    backend = keras.backend.backend()
    if backend == "torch":
        return "torch"  # every cell, both directions, dropout included
    if backend == "jax" and fused_lstm_available(backbone, training):
        return "jax"
    return None


def describe(backbone, training=True):
    """One line saying how `backbone`'s recurrent stack runs here (fallbacks are otherwise
    silent), e.g. for a training log."""
    path = fused_available(backbone, training)
    if path == "torch":
        import torch

        device = "cuDNN" if torch.cuda.is_available() else "oneDNN, CPU"
        return (
            f"one PyTorch {CELLS[backbone.cell].__name__} kernel call for all {backbone.num_layers} layer(s) ({device})"
        )
    if path == "jax":
        return f"one cuDNN call for all {backbone.num_layers} LSTM layer(s) (JAX, GPU)"
    reason = "" if enabled(backbone.fused) else " (fused=False)" if backbone.fused is False else " (RS3L_FUSED_RNN=0)"
    return (
        f"Keras {CELLS[backbone.cell].__name__} layers, one call per layer ({keras.backend.backend()} backend){reason}"
    )


def fused_lstm_available(backbone, training=False):
    """Whether `backbone`'s recurrent stack can run as one fused cuDNN call on JAX here."""
    if not enabled(backbone.fused) or keras.backend.backend() != "jax":
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
            kernel, recurrent, bias = (
                jnp.asarray(v.value, "float32") for v in (cell.kernel, cell.recurrent_kernel, cell.bias)
            )
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
        x,
        zeros,
        zeros,
        pack_lstm_weights(cells),
        jnp.full((batch,), time, "int32"),
        input_size=x.shape[-1],
        hidden_size=hidden,
        num_layers=len(cells),
        dropout=0.0,
        bidirectional=False,
    )
    return outputs


# --------------------------------------------------------------------------------------------
# torch: PyTorch's multi-layer RNN kernels over the Keras variables
# --------------------------------------------------------------------------------------------
def torch_rnn_params(cell, kind):
    """PyTorch's (w_ih, w_hh, b_ih, b_hh) for one direction of one layer, as differentiable
    views of the Keras cell's float32 variables."""
    import torch

    kernel, recurrent = cell.kernel.value, cell.recurrent_kernel.value
    bias = cell.bias.value
    if kind == "gru":  # Keras z, r, h → PyTorch r, z, n; bias rows: input, recurrent

        def reorder(w):
            z, r, h = torch.chunk(w, 3, dim=-1)
            return torch.cat([r, z, h], dim=-1)

        return [reorder(kernel).t(), reorder(recurrent).t(), reorder(bias[0]), reorder(bias[1])]
    return [kernel.t(), recurrent.t(), bias, torch.zeros_like(bias)]


def torch_fused_rnn(inputs, backbone, training=False):
    """Runs `backbone`'s recurrent stack over `inputs` (batch, time, features) in one PyTorch
    kernel call from zero states; returns the top layer's sequence in the compute dtype."""
    import torch
    from keras.src.backend import AutocastScope  # no public switch to read float32 values

    kind = backbone.cell
    for layer in backbone.rnn_layers:
        cell = (layer.forward_layer if backbone.bidirectional else layer).cell
        if kind == "gru" and not cell.reset_after:
            raise ValueError("The fused torch path needs GRU(reset_after=True), Keras' default.")
    dtype = getattr(torch, keras.backend.standardize_dtype(backbone.compute_dtype))
    params = []
    with AutocastScope(None):  # the float32 variables, cast below as one differentiable op each
        for layer in backbone.rnn_layers:
            directions = [layer.forward_layer, layer.backward_layer] if backbone.bidirectional else [layer]
            for direction in directions:
                params += [p.to(dtype) for p in torch_rnn_params(direction.cell, kind)]
    if params[0].is_cuda:  # cuDNN refuses the transposed views (oneDNN on CPU reads them as they are)
        params = [p.contiguous() for p in params]
    x = keras.ops.convert_to_tensor(inputs).to(dtype)
    layers, directions = backbone.num_layers, 2 if backbone.bidirectional else 1
    h0 = torch.zeros(layers * directions, x.shape[0], backbone.hidden_dim, dtype=dtype, device=x.device)
    dropout = float(backbone.dropout) if training else 0.0
    # `train` keeps cuDNN's reserve space for the backward pass (cuDNN refuses a backward
    # through an inference-mode call); dropout itself only applies when `training`.
    train = bool(training) or torch.is_grad_enabled()
    states = [h0, torch.zeros_like(h0)] if kind == "lstm" else [h0]
    outputs, _ = _torch_kernel(kind, x, states, params, layers, dropout, train, backbone.bidirectional)
    return outputs


def _torch_kernel(kind, x, states, params, layers, dropout, train, bidirectional):
    """PyTorch's multi-layer RNN kernel for `kind`; returns (outputs, final states list)."""
    import torch

    args = (params, True, layers, dropout, train, bidirectional, True)
    if kind == "lstm":
        outputs, h, c = torch._VF.lstm(x, (states[0], states[1]), *args)
        return outputs, [h, c]
    outputs, h = (torch._VF.gru if kind == "gru" else torch._VF.rnn_tanh)(x, states[0], *args)
    return outputs, [h]


def torch_fused_layer(layer, sequences, initial_state):
    """One Keras LSTM/GRU/SimpleRNN layer (unidirectional, no mask) over `sequences` from
    `initial_state` in one PyTorch kernel call; returns Keras' `inner_loop` triple
    `(last_output, outputs, states)` in the layer's compute dtype."""
    import torch
    from keras.src.backend import AutocastScope

    kind = layer.kind
    dtype = getattr(torch, keras.backend.standardize_dtype(layer.compute_dtype))
    with AutocastScope(None):
        params = [p.to(dtype) for p in torch_rnn_params(layer.cell, kind)]
    x = keras.ops.convert_to_tensor(sequences).to(dtype)
    states = [keras.ops.convert_to_tensor(s).to(dtype)[None] for s in initial_state]  # (1, batch, units)
    outputs, final = _torch_kernel(kind, x, states, params, 1, 0.0, torch.is_grad_enabled(), False)
    return outputs[:, -1], outputs, [state[0] for state in final]


class _TorchKernelLayer:
    """Mixin for a Keras recurrent layer: on torch, `inner_loop` runs PyTorch's kernel (see
    `torch_fused_layer`) where it computes exactly what the layer would; elsewhere, and with
    masks, dropout or `go_backwards`, the layer's own loop runs. Same weights, same config;
    the class names stay Keras' (saved weights are laid out by class name). `fused`: the
    switch (see `enabled`)."""

    kind = None  # the cell type: a key of `CELLS`

    def __init__(self, *args, fused="auto", **kwargs):
        super().__init__(*args, **kwargs)
        self.fused = fused

    def get_config(self):
        return {**super().get_config(), "fused": self.fused}

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if (
            enabled(self.fused)
            and keras.backend.backend() == "torch"
            and mask is None
            and not self.go_backwards
            and not self.cell.dropout
            and not self.cell.recurrent_dropout
            and getattr(self.cell, "reset_after", True)
        ):
            return torch_fused_layer(self, sequences, list(initial_state))
        return super().inner_loop(sequences, initial_state, mask, training=training)


@keras.saving.register_keras_serializable(package="rs3l_keras")
class LSTM(_TorchKernelLayer, keras.layers.LSTM):
    """`keras.layers.LSTM` that runs PyTorch's LSTM kernel on the torch backend."""

    kind = "lstm"


@keras.saving.register_keras_serializable(package="rs3l_keras")
class GRU(_TorchKernelLayer, keras.layers.GRU):
    """`keras.layers.GRU` that runs PyTorch's GRU kernel on the torch backend."""

    kind = "gru"


@keras.saving.register_keras_serializable(package="rs3l_keras")
class SimpleRNN(_TorchKernelLayer, keras.layers.SimpleRNN):
    """`keras.layers.SimpleRNN` that runs PyTorch's tanh-RNN kernel on the torch backend."""

    kind = "simple"


#: The one table of cell types: each `cell=` name → its recurrent layer (Keras' own, with
#: PyTorch's kernel on torch), used by the backbone and by every recurrent decoder.
CELLS = {"lstm": LSTM, "gru": GRU, "simple": SimpleRNN}
