"""Reference recurrent networks in NumPy float64: forward pass and backpropagation through time.

An oracle for tests and a readable statement of the maths, never on a hot path. Weight
layouts follow Keras exactly (so weights can be copied across):

    SimpleRNN:  h_t = tanh(x_t W + h_{t-1} U + b)
    LSTM:       z_t = x_t W + h_{t-1} U + b, split into gates [i | f | g | o] (Keras order)
                i, f, o = sigmoid(.), g = tanh(.)
                c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

Shapes: x (B, T, D); W (D, G·H); U (H, G·H); b (G·H,) with G = 1 (SimpleRNN) or 4 (LSTM).
`backward` takes dL/dh_t for every step (B, T, H) and returns dL/dx and the weight gradients,
accumulated over time exactly as BPTT prescribes.
"""

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class SimpleRNN:
    """Elman RNN, h_t = tanh(x_t W + h_{t-1} U + b), with BPTT."""

    def __init__(self, kernel, recurrent_kernel, bias):
        self.W = np.asarray(kernel, np.float64)
        self.U = np.asarray(recurrent_kernel, np.float64)
        self.b = np.asarray(bias, np.float64)

    def forward(self, x, h0=None):
        """x (B, T, D) → hidden states (B, T, H); keeps what `backward` needs."""
        x = np.asarray(x, np.float64)
        batch, steps, _ = x.shape
        h = np.zeros((batch, self.U.shape[0])) if h0 is None else np.asarray(h0, np.float64)
        self._x, self._h = x, [h]
        for t in range(steps):
            h = np.tanh(x[:, t] @ self.W + h @ self.U + self.b)
            self._h.append(h)
        return np.stack(self._h[1:], axis=1)

    def backward(self, grad_h):
        """dL/dh (B, T, H) → dict of dL/dx, dL/dW, dL/dU, dL/db, dL/dh0."""
        grads = {
            "x": np.zeros_like(self._x),
            "W": np.zeros_like(self.W),
            "U": np.zeros_like(self.U),
            "b": np.zeros_like(self.b),
        }
        carry = np.zeros_like(self._h[0])  # dL/dh_t flowing back from step t+1
        for t in reversed(range(self._x.shape[1])):
            h, h_prev = self._h[t + 1], self._h[t]
            dz = (grad_h[:, t] + carry) * (1.0 - h**2)
            grads["x"][:, t] = dz @ self.W.T
            grads["W"] += self._x[:, t].T @ dz
            grads["U"] += h_prev.T @ dz
            grads["b"] += dz.sum(axis=0)
            carry = dz @ self.U.T
        grads["h0"] = carry
        return grads


class LSTM:
    """Long short-term memory with Keras' gate order [i, f, g, o], with BPTT."""

    def __init__(self, kernel, recurrent_kernel, bias):
        self.W = np.asarray(kernel, np.float64)
        self.U = np.asarray(recurrent_kernel, np.float64)
        self.b = np.asarray(bias, np.float64)
        self.units = self.U.shape[0]

    def forward(self, x, h0=None, c0=None):
        x = np.asarray(x, np.float64)
        batch, steps, _ = x.shape
        H = self.units
        h = np.zeros((batch, H)) if h0 is None else np.asarray(h0, np.float64)
        c = np.zeros((batch, H)) if c0 is None else np.asarray(c0, np.float64)
        self._x, self._h, self._c, self._gates = x, [h], [c], []
        for t in range(steps):
            z = x[:, t] @ self.W + h @ self.U + self.b
            i, f, g, o = (
                _sigmoid(z[:, :H]),
                _sigmoid(z[:, H : 2 * H]),
                np.tanh(z[:, 2 * H : 3 * H]),
                _sigmoid(z[:, 3 * H :]),
            )
            c = f * c + i * g
            h = o * np.tanh(c)
            self._gates.append((i, f, g, o))
            self._h.append(h)
            self._c.append(c)
        return np.stack(self._h[1:], axis=1)

    def backward(self, grad_h):
        grads = {
            "x": np.zeros_like(self._x),
            "W": np.zeros_like(self.W),
            "U": np.zeros_like(self.U),
            "b": np.zeros_like(self.b),
        }
        dh_next = np.zeros_like(self._h[0])
        dc_next = np.zeros_like(self._c[0])
        for t in reversed(range(self._x.shape[1])):
            i, f, g, o = self._gates[t]
            c, c_prev, h_prev = self._c[t + 1], self._c[t], self._h[t]
            dh = grad_h[:, t] + dh_next
            tanh_c = np.tanh(c)
            do = dh * tanh_c
            dc = dh * o * (1.0 - tanh_c**2) + dc_next
            di, df, dg = dc * g, dc * c_prev, dc * i
            dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
            grads["x"][:, t] = dz @ self.W.T
            grads["W"] += self._x[:, t].T @ dz
            grads["U"] += h_prev.T @ dz
            grads["b"] += dz.sum(axis=0)
            dh_next = dz @ self.U.T
            dc_next = dc * f
        grads["h0"], grads["c0"] = dh_next, dc_next
        return grads
