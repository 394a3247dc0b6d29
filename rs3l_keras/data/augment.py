"""Seeded, composable augmentations of real-valued series (for contrastive views).

Every augmentation is a plain callable on numpy arrays::

    view = Jitter(0.1)(batch, rng)     # batch (n, time, channels) or one series (time, channels)

`rng` is a `numpy.random.Generator` or an int seed, so a given seed always gives the same
view. Batches follow the project's convention (`rs3l_keras.data.series`): shorter series
are **left-padded with NaN**. Each augmentation transforms only the observed part of each
series and writes it back right-aligned, so padded steps stay padded (cropping shortens a
series: its dropped steps become padding too) and the shape never changes.

`Compose([...])` chains augmentations; `RandomApply(aug, p)` applies one with probability
`p`; `augmented_batches` turns a padded array into a `tf.data.Dataset` whose batches are
augmented in the input pipeline (never in the model graph), in an order and with draws
that are a pure function of `(seed, epoch, batch index)`.

Reference for the menu: Um et al. (2017), Data augmentation of wearable sensor data;
Iwana & Uchida (2021), An empirical survey of data augmentation for time series
classification; Yue et al. (2022), TS2Vec (cropping).

>>> import numpy as np
>>> batch = np.array([[[np.nan], [1.0], [2.0], [3.0]]], "float32")  # one left-padded series
>>> aug = Compose([Jitter(0.1), Scaling(0.1), TimeMasking(0.25)])
>>> view = aug(batch, 0)
>>> view.shape, bool(np.isnan(view[0, 0, 0])), bool(np.isfinite(view[0, 1:]).all())
((1, 4, 1), True, True)
>>> bool(np.array_equal(view, aug(batch, 0), equal_nan=True))
True
"""

import numpy as np

from rs3l_keras.validation import check_int, check_number


def _rng(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, (tuple, list)) and all(isinstance(r, (int, np.integer)) for r in rng):
        return np.random.default_rng(list(rng))
    raise TypeError(f"`rng` must be a numpy Generator, an int seed or None, received {type(rng).__name__}.")


class Augmentation:
    """Base class: `__call__(x, rng)` on a padded batch or one series; subclasses
    implement `transform(series, rng)` on one observed `(length, channels)` series."""

    def __call__(self, x, rng=None):
        rng = _rng(rng)
        x = np.asarray(x)
        if x.ndim not in (2, 3) or x.dtype.kind != "f":
            raise ValueError(
                f"`x` must be a float array (n, time, channels) or (time, channels), "
                f"received dtype {x.dtype} and shape {x.shape}."
            )
        single = x.ndim == 2
        batch = x[None] if single else x
        out = np.full_like(batch, np.nan)
        observed = ~np.isnan(batch).all(axis=-1)  # (n, time)
        for i, row in enumerate(batch):
            start = int(observed[i].argmax()) if observed[i].any() else batch.shape[1]
            if start == batch.shape[1]:
                continue  # all padding: nothing to augment
            new = np.asarray(self.transform(row[start:], rng), batch.dtype)
            out[i, batch.shape[1] - len(new) :] = new
        return out[0] if single else out

    def transform(self, series, rng):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


def _scale_of(series):
    """Per-channel standard deviation of one series (1 for constant channels)."""
    std = series.std(axis=0, keepdims=True)
    return np.where(std > 0, std, 1.0)


class Jitter(Augmentation):
    """Adds Gaussian noise with standard deviation `sigma` × each channel's own standard
    deviation (scale-free: the model normalises after the pipeline).

    Args:
        sigma: float ≥ 0, default 0.1.
    """

    def __init__(self, sigma=0.1):
        self.sigma = check_number(sigma, "sigma", 0.0, np.inf, high_open=True)

    def transform(self, series, rng):
        return series + rng.normal(0.0, self.sigma, series.shape) * _scale_of(series)


class Scaling(Augmentation):
    """Multiplies each channel's deviations from its mean by a factor drawn from N(1, `sigma`²)
    (factors are clipped to ≥ 0.05, so a view is never flipped or flattened).

    Args:
        sigma: float ≥ 0, default 0.1.
    """

    def __init__(self, sigma=0.1):
        self.sigma = check_number(sigma, "sigma", 0.0, np.inf, high_open=True)

    def transform(self, series, rng):
        mean = series.mean(axis=0, keepdims=True)
        factor = np.maximum(rng.normal(1.0, self.sigma, (1, series.shape[1])), 0.05)
        return mean + (series - mean) * factor


class Cropping(Augmentation):
    """Keeps a random contiguous window of `ratio` ∈ [min_ratio, max_ratio] of each
    series' observed length (at least `min_length` steps); the dropped steps become
    left padding, so the view is a shorter series (TS2Vec-style random cropping).

    Args:
        min_ratio: float in (0, 1], default 0.5.
        max_ratio: float in [min_ratio, 1], default 1.
        min_length: int ≥ 1, default 2.
    """

    def __init__(self, min_ratio=0.5, max_ratio=1.0, min_length=2):
        self.min_ratio = check_number(min_ratio, "min_ratio", 0.0, 1.0, low_open=True)
        self.max_ratio = check_number(max_ratio, "max_ratio", self.min_ratio, 1.0)
        check_int(min_length, "min_length", 1)
        self.min_length = min_length

    def transform(self, series, rng):
        n = len(series)
        length = int(round(n * rng.uniform(self.min_ratio, self.max_ratio)))
        length = min(n, max(length, self.min_length))
        start = int(rng.integers(0, n - length + 1))
        return series[start : start + length]


class TimeMasking(Augmentation):
    """Replaces one random span of `ratio` × the observed length by each channel's mean
    (the value the normaliser maps close to 0), like SpecAugment's time masks.

    Args:
        ratio: float in [0, 1), default 0.1.
    """

    def __init__(self, ratio=0.1):
        self.ratio = check_number(ratio, "ratio", 0.0, 1.0, high_open=True)

    def transform(self, series, rng):
        n = len(series)
        width = int(round(self.ratio * n))
        if width == 0:
            return series
        start = int(rng.integers(0, n - width + 1))
        out = series.copy()
        out[start : start + width] = series.mean(axis=0, keepdims=True)
        return out


class Permutation(Augmentation):
    """Cuts each series into up to `max_segments` segments (at random points) and shuffles
    them (Um et al., 2017). Series shorter than the number of segments are left whole.

    Args:
        max_segments: int ≥ 1, default 5. The number of segments is drawn in [1, max_segments].
    """

    def __init__(self, max_segments=5):
        check_int(max_segments, "max_segments", 1)
        self.max_segments = max_segments

    def transform(self, series, rng):
        n = len(series)
        segments = int(rng.integers(1, self.max_segments + 1))
        if segments < 2 or n < segments:
            return series
        cuts = np.sort(rng.choice(np.arange(1, n), segments - 1, replace=False))
        pieces = np.split(series, cuts)
        return np.concatenate([pieces[i] for i in rng.permutation(len(pieces))])


class RandomApply(Augmentation):
    """Applies `augmentation` to each series with probability `p`.

    Args:
        augmentation: an `Augmentation`.
        p: float in [0, 1], default 0.5.
    """

    def __init__(self, augmentation, p=0.5):
        if not isinstance(augmentation, Augmentation):
            raise TypeError(f"`augmentation` must be an Augmentation, received {type(augmentation).__name__}.")
        self.augmentation = augmentation
        self.p = check_number(p, "p", 0.0, 1.0)

    def transform(self, series, rng):
        return self.augmentation.transform(series, rng) if rng.uniform() < self.p else series


class Compose(Augmentation):
    """Applies `augmentations` in order, each to the output of the previous one.

    Args:
        augmentations: list of `Augmentation`.
    """

    def __init__(self, augmentations):
        augmentations = list(augmentations)
        for i, aug in enumerate(augmentations):
            if not isinstance(aug, Augmentation):
                raise TypeError(f"`augmentations[{i}]` must be an Augmentation, received {type(aug).__name__}.")
        self.augmentations = augmentations

    def transform(self, series, rng):
        for aug in self.augmentations:
            series = aug.transform(series, rng)
        return series


def default_views():
    """The view recipe of `ContrastiveEncoder`: crop, permute (sometimes), scale, jitter,
    mask (sometimes)."""
    return Compose(
        [
            Cropping(0.5, 1.0),
            RandomApply(Permutation(4), 0.3),
            Scaling(0.2),
            Jitter(0.05),
            RandomApply(TimeMasking(0.15), 0.5),
        ]
    )


def trim_padding(batch):
    """Drops the leading time steps that are padding in every series of a left-padded batch."""
    observed = ~np.isnan(batch).all(axis=(0, 2))
    start = int(observed.argmax()) if observed.any() else batch.shape[1] - 1
    return batch[:, start:]


def augmented_batches(padded, batch_size, transform, seed=None, epoch=None, shuffle=True):
    """A `tf.data.Dataset` of `transform(batch, rng)` over batches of `padded`.

    Args:
        padded: float32 `(n, time, channels)`, NaN-left-padded.
        batch_size: int.
        transform: callable `(batch, rng) -> array or tuple of arrays` (float32, rank 3),
            run in numpy inside the pipeline; `rng` is seeded by `(seed, epoch, batch index)`.
        seed: int or None (a random seed).
        epoch: int64 `tf.Variable` or None (see `windowing.shuffled_batches`).
        shuffle: bool. Shuffle the series each epoch (seeded) or keep their order.
    """
    import tensorflow as tf

    from rs3l_keras.data.windowing import shuffled_batches

    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    if epoch is None:
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    padded = np.asarray(padded, "float32")
    if shuffle:
        ds = shuffled_batches(padded, batch_size, seed=seed, epoch=epoch)
    else:
        ds = tf.data.Dataset.from_tensor_slices(padded).batch(batch_size)
    probe = transform(padded[:1], np.random.default_rng(0))
    multiple = isinstance(probe, tuple)
    count = len(probe) if multiple else 1

    def run(batch, epoch_value, index):
        rng = np.random.default_rng([seed, int(epoch_value), int(index)])
        out = transform(batch, rng)
        return tuple(np.asarray(o, "float32") for o in (out if multiple else (out,)))

    def apply(index, batch):
        outs = tf.numpy_function(run, [batch, epoch.read_value(), index], [tf.float32] * count)
        outs = [tf.ensure_shape(o, [None, None, padded.shape[2]]) for o in outs]
        return tuple(outs) if multiple else outs[0]

    return ds.enumerate().map(apply).prefetch(tf.data.AUTOTUNE)
