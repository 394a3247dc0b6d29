"""The Keras backbone agrees with a hand-written float64 BPTT, outputs and gradients."""

import numpy as np
import pytest
import tensorflow as tf

from rs3l_keras import RNNBackbone
from rs3l_keras.reference import LSTM, SimpleRNN

ORACLES = {"simple": SimpleRNN, "lstm": LSTM}


def _rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(np.asarray(b)), 1e-300)


@pytest.mark.parametrize("cell", ["simple", "lstm"])
def test_outputs_and_gradients_match_the_numpy_oracle(cell):
    rng = np.random.default_rng(0)
    batch, steps, dim, units = 3, 9, 4, 5
    backbone = RNNBackbone(input_dim=dim, cell=cell, hidden_dim=units, dtype="float64")
    layer = backbone.rnn_layers[0]
    for w in layer.weights:  # random weights, not the initialiser's
        w.assign(rng.normal(scale=0.5, size=w.shape))
    x = rng.normal(size=(batch, steps, dim))
    upstream = rng.normal(size=(batch, steps, units))  # dL/dh_t: L = Σ upstream ⊙ h

    x_t = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x_t)
        h = backbone(x_t)["sequence_output"]
        loss = tf.reduce_sum(h * upstream)
    keras_grads = tape.gradient(loss, [x_t, *layer.weights])

    oracle = ORACLES[cell](*[w.numpy() for w in layer.weights])
    h_ref = oracle.forward(x)
    ref = oracle.backward(upstream)

    assert h.dtype == tf.float64
    assert _rel(h.numpy(), h_ref) < 1e-6
    for got, want in zip(keras_grads, [ref["x"], ref["W"], ref["U"], ref["b"]]):
        assert _rel(got.numpy(), want) < 1e-6


@pytest.mark.parametrize("cell", ["simple", "lstm"])
def test_oracle_gradient_matches_finite_differences(cell):
    rng = np.random.default_rng(1)
    units, dim, gates = 3, 2, 4 if cell == "lstm" else 1
    oracle = ORACLES[cell](rng.normal(size=(dim, gates * units)), rng.normal(size=(units, gates * units)),
                           rng.normal(size=gates * units))
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
