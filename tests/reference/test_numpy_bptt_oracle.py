"""The Keras backbone agrees with a hand-written float64 BPTT, outputs and gradients."""

import keras
import numpy as np
import pytest

from rs3l_keras import RNNBackbone
from rs3l_keras.reference import LSTM, SimpleRNN

ORACLES = {"simple": SimpleRNN, "lstm": LSTM}


def _rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(np.asarray(b)), 1e-300)


# Keras computes in float64 on TensorFlow only: on JAX and torch its type promotion maps
# 64-bit results to 32 bits (keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE; a float64
# SimpleRNN fails inside jax.lax.scan). There the model runs in float32 against the same
# float64 oracle, with a tolerance for float32 round-off (measured: 3e-7 at most).
DTYPE, TOLERANCE = ("float64", 1e-6) if keras.backend.backend() == "tensorflow" else ("float32", 2e-6)


def _value_and_grads(backbone, weights, x, upstream):
    """h = backbone(x)["sequence_output"] and the gradients of L = Σ upstream ⊙ h with
    respect to x and `weights`, with the backend's own autodiff."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x_t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x_t)
            h = backbone(x_t)["sequence_output"]
            loss = tf.reduce_sum(h * upstream)
        return h, tape.gradient(loss, [x_t, *weights])
    if backend == "jax":
        import jax

        def loss(x, values):
            with keras.StatelessScope(state_mapping=list(zip(weights, values))):
                h = backbone(x)["sequence_output"]
            return keras.ops.sum(h * upstream), h

        (_, h), (grad_x, grad_w) = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(x, [w.value for w in weights])
        return h, [grad_x, *grad_w]
    if backend == "torch":
        import torch

        x_t = torch.tensor(x, requires_grad=True)
        h = backbone(x_t)["sequence_output"]
        torch.sum(h * torch.tensor(upstream)).backward()
        return h, [x_t.grad, *(w.value.grad for w in weights)]
    raise NotImplementedError(backend)


@pytest.mark.parametrize("cell", ["simple", "lstm"])
def test_outputs_and_gradients_match_the_numpy_oracle(cell):
    rng = np.random.default_rng(0)
    batch, steps, dim, units = 3, 9, 4, 5
    backbone = RNNBackbone(input_dim=dim, cell=cell, hidden_dim=units, dtype=DTYPE)
    layer = backbone.rnn_layers[0]
    for w in layer.weights:  # random weights, not the initialiser's
        w.assign(rng.normal(scale=0.5, size=w.shape).astype(DTYPE))
    x = rng.normal(size=(batch, steps, dim)).astype(DTYPE)
    upstream = rng.normal(size=(batch, steps, units)).astype(DTYPE)  # dL/dh_t: L = Σ upstream ⊙ h
    h, keras_grads = _value_and_grads(backbone, layer.weights, x, upstream)

    # the oracle in float64 from the model's own weights and inputs
    oracle = ORACLES[cell](*[keras.ops.convert_to_numpy(w).astype("float64") for w in layer.weights])
    h_ref = oracle.forward(x.astype("float64"))
    ref = oracle.backward(upstream.astype("float64"))

    assert keras.backend.standardize_dtype(h.dtype) == DTYPE
    assert _rel(keras.ops.convert_to_numpy(h), h_ref) < TOLERANCE
    assert len(keras_grads) == 4
    for got, want in zip(keras_grads, [ref["x"], ref["W"], ref["U"], ref["b"]]):
        assert _rel(keras.ops.convert_to_numpy(got), want) < TOLERANCE


@pytest.mark.parametrize("cell", ["simple", "lstm"])
def test_oracle_gradient_matches_finite_differences(cell):
    rng = np.random.default_rng(1)
    units, dim, gates = 3, 2, 4 if cell == "lstm" else 1
    oracle = ORACLES[cell](
        rng.normal(size=(dim, gates * units)), rng.normal(size=(units, gates * units)), rng.normal(size=gates * units)
    )
    x = rng.normal(size=(2, 6, dim))
    upstream = rng.normal(size=(2, 6, units))
    oracle.forward(x)
    analytic = oracle.backward(upstream)["U"]
    eps = 1e-6
    numeric = np.zeros_like(oracle.U)
    for idx in np.ndindex(*oracle.U.shape):
        oracle.U[idx] += eps
        plus = (oracle.forward(x) * upstream).sum()
        oracle.U[idx] -= 2 * eps
        minus = (oracle.forward(x) * upstream).sum()
        oracle.U[idx] += eps
        numeric[idx] = (plus - minus) / (2 * eps)
    assert _rel(analytic, numeric) < 1e-6
