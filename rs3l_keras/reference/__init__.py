"""Reference implementations used as test oracles (NumPy, float64). Not for training."""

from rs3l_keras.reference.numpy_rnn import LSTM, SimpleRNN

__all__ = ["LSTM", "SimpleRNN"]
