"""Anomaly thresholds that hold out of sample (numpy), shared by every objective that scores steps.

A model reconstructs (or forecasts) the steps it trained on better than unseen normal steps,
so a threshold taken from its training scores alone flags many normal steps of a new series.
The rules here take the threshold from scores of **normal data the model did not train on**:
`fit(series)` of an anomaly objective keeps the last `holdout` share of the normal series out
of training (`holdout_split`) and calls `fit_threshold` on it (`"pot_pooled"`, the
autoencoder's default, adds the training steps' scores to that held-out sample).

Rules (`threshold_from_scores`), on held-out normal scores `s`:
  * `"max"`: the largest held-out score (no held-out step is flagged);
  * `"quantile"`: the `quantile` of `s` (flags about 1 − quantile of normal steps);
  * `"pot"`: peaks over threshold (Siffer et al., 2017, "Anomaly detection in streams with
    extreme value theory"): a generalised Pareto law fitted to the excesses of `s` over its
    0.9 quantile, extrapolated to a false-alarm probability `risk` per step;
  * `"pot_pooled"`: `pot` on `s` pooled with `training_scores`, the scores of the normal steps
    the model trained on (`fit`: the head before the held-out tail). A short tail is a small
    sample of the normal scores' tail; the training steps add to it where the model does not
    fit them much better than unseen ones. The default of `SequenceAutoencoder`
    (`SeriesObjective.threshold_rule`), chosen by the anomaly benchmark's calibration rule.

`contamination_threshold` is the alternative a user sets instead: the score above which the
given share of the scored series lies.

    >>> import numpy as np
    >>> s = np.random.default_rng(0).exponential(size=2000)
    >>> float(threshold_from_scores(s, "max")) == float(s.max())
    True
    >>> float(threshold_from_scores(s, "quantile", quantile=0.5)) < 1
    True
    >>> float(threshold_from_scores(s, "pot", risk=1e-4)) > float(s.max())  # beyond the sample
    True
    >>> threshold_from_scores(s[:100], "pot_pooled", training_scores=s[100:]) == threshold_from_scores(s, "pot")
    True
"""

import math

import numpy as np

from rs3l_keras.validation import check_number, check_one_of, check_positive_int

THRESHOLD_RULES = ("max", "quantile", "pot", "pot_pooled")
#: The rules that also read the scores of the steps the model trained on (`training_scores`).
TRAINING_RULES = ("pot_pooled",)
#: The rule `fit`/`fit_threshold` use by default (`SeriesObjective.threshold_rule`; an objective
#: may set its own: `SequenceAutoencoder` uses "pot_pooled"), chosen as the protocol of
#: `rs3l_keras.evaluation.anomaly` fixed before the run: the held-out rule with the highest mean
#: autoencoder F1 at its threshold on the development series (UCR-135, ecg3), seeds 0-2:
#: pot 0.310, quantile 0.308, max 0.301 (a margin inside the seed spread; the test series chose
#: nothing). Was "max" until that run (benchmarks/RESULTS.md, benchmarks/anomaly.json).
DEFAULT_RULE = "pot"
DEFAULT_HOLDOUT = 0.25


def holdout_split(series, holdout, min_length):
    """`(train, calibration)`: one long normal series split in time, the last `holdout`
    share (at least `min_length` steps, e.g. one window) kept for the threshold."""
    check_number(holdout, "holdout", 0, 1, low_open=True, high_open=True, expected="a share in (0, 1)")
    held = max(int(round(len(series) * holdout)), min_length)
    if len(series) - held < min_length:
        raise ValueError(
            f"`holdout={holdout}` leaves {len(series) - held} training steps of a {len(series)}-step series; "
            f"training and calibration need {min_length} steps (one window) each. Pass a longer normal "
            "series, or `holdout=0` and call `fit_threshold(other_normal_series)` yourself."
        )
    return series[: len(series) - held], series[len(series) - held :]


def threshold_from_scores(scores, rule=DEFAULT_RULE, quantile=0.99, risk=1e-4, training_scores=None):
    """The anomaly threshold from per-step scores of held-out normal data (see the module
    docstring for the rules; `training_scores`: the scores of the steps the model trained on,
    read by the rules in `TRAINING_RULES` only); a float."""
    check_one_of(rule, "rule", list(THRESHOLD_RULES))
    scores = np.asarray(scores, "float64").ravel()
    if not len(scores) or not np.isfinite(scores).all():
        raise ValueError(f"`scores` must be a non-empty array of finite values, received {len(scores)} values.")
    if rule in TRAINING_RULES:
        if training_scores is None:
            raise ValueError(
                f"`rule={rule!r}` pools the held-out scores with the scores of the steps the model trained on: "
                "pass them as `training_scores` (received None)."
            )
        training_scores = np.asarray(training_scores, "float64").ravel()
        if not np.isfinite(training_scores).all():
            raise ValueError("`training_scores` must be finite.")
        scores, rule = np.concatenate([scores, training_scores]), "pot"
    if rule == "max":
        return float(scores.max())
    if rule == "quantile":
        check_number(quantile, "quantile", 0, 1, low_open=True, expected="a float in (0, 1]")
        return float(np.quantile(scores, quantile))
    check_number(risk, "risk", 0, 1, low_open=True, high_open=True, expected="a probability in (0, 1)")
    return pot_threshold(scores, risk)


def pot_threshold(scores, risk=1e-4, initial_quantile=0.9):
    """Peaks over threshold: t + σ/γ ((risk·n/k)^(−γ) − 1) with (γ, σ) the generalised
    Pareto fit of the k excesses over t = the `initial_quantile` of the n scores. Never below
    the largest score when `risk` < 1/n (the sample already bounds that)."""
    from scipy.stats import genpareto

    scores = np.asarray(scores, "float64").ravel()
    t = float(np.quantile(scores, initial_quantile))
    peaks = scores[scores > t] - t
    if len(peaks) < 5:  # too few excesses to fit a tail: the sample's maximum
        return float(scores.max())
    gamma, _, sigma = genpareto.fit(peaks, floc=0)
    ratio = risk * len(scores) / len(peaks)
    if abs(gamma) < 1e-6:
        value = t - sigma * math.log(ratio)
    else:
        value = t + sigma / gamma * (ratio ** (-gamma) - 1)
    return float(max(value, scores.max())) if risk < 1 / len(scores) else float(value)


def contamination_threshold(scores, contamination):
    """The score above which the top `contamination` share of `scores` lies (at least one step)."""
    check_number(contamination, "contamination", 0, 0.5, low_open=True, expected="a share in (0, 0.5]")
    scores = np.asarray(scores, "float64").ravel()
    k = max(1, int(math.ceil(contamination * len(scores))))
    ordered = np.sort(scores)[::-1]
    return float(ordered[k]) if k < len(ordered) else float(ordered[-1]) - 1.0


def smooth_scores(scores, span):
    """Per-step scores averaged over a centred span of `span` steps (steps t − ⌊span/2⌋ to
    t + ⌈span/2⌉ − 1, cut at the series' ends); `span=1` returns them as float64 unchanged.
    A range anomaly then scores as a block, and a lone high step among normal ones counts for
    1/span of itself."""
    check_positive_int(span, "span")
    scores = np.asarray(scores, "float64").ravel()
    if span == 1 or not len(scores):
        return scores
    sums = np.concatenate([[0.0], np.cumsum(scores)])
    t = np.arange(len(scores))
    low, high = np.maximum(t - span // 2, 0), np.minimum(t - span // 2 + span, len(scores))
    return (sums[high] - sums[low]) / (high - low)


def steps_from_windows(window_scores, starts, length, total):
    """Per-step scores `(total,)` from one score per window (`starts`, `length` steps): the
    mean over the windows that cover each step (as `SequenceAutoencoder.anomaly_scores`)."""
    window_scores = np.asarray(window_scores, "float64")
    delta = np.zeros(total + 1)
    count = np.zeros(total + 1)
    starts = np.asarray(starts)
    np.add.at(delta, starts, window_scores)
    np.add.at(delta, np.minimum(starts + length, total), -window_scores)
    np.add.at(count, starts, 1.0)
    np.add.at(count, np.minimum(starts + length, total), -1.0)
    covered = np.rint(np.cumsum(count)[:total])
    steps = np.where(covered > 0, np.cumsum(delta)[:total] / np.maximum(covered, 1.0), 0.0)
    return steps.astype("float32")
