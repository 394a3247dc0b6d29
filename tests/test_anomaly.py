"""Thresholds that hold out of sample (`rs3l_keras.anomaly`) and the one anomaly interface
(`anomaly_scores` / `fit_threshold` / `detect`) of the autoencoder and the forecaster."""

import numpy as np
import pytest

from rs3l_keras import RNNBackbone, anomaly
from rs3l_keras.data import series
from rs3l_keras.objectives.forecaster import Forecaster


def test_threshold_rules_on_known_distributions():
    rng = np.random.default_rng(0)
    scores = rng.exponential(size=20000)
    assert anomaly.threshold_from_scores(scores, "max") == scores.max()
    assert anomaly.threshold_from_scores(scores, "quantile", quantile=0.9) == pytest.approx(np.log(10), rel=0.05)
    # Exponential tail: the 1e-5 quantile is log(1e5) = 11.5, beyond the sample's max (~10);
    # peaks over threshold extrapolates to it, a quantile cannot.
    pot = anomaly.threshold_from_scores(scores, "pot", risk=1e-5)
    assert pot == pytest.approx(np.log(1e5), rel=0.1) and pot > scores.max()
    # A bounded tail (uniform): the extrapolation stays near the bound.
    uniform = rng.uniform(size=20000)
    assert anomaly.threshold_from_scores(uniform, "pot", risk=1e-3) == pytest.approx(0.999, abs=0.01)
    # Pooled: pot on the held-out scores and the training steps' scores together. From 100
    # held-out steps alone the tail's extrapolation is far off (27.3 here); the pool is near log(1e5).
    held, trained = scores[:100], scores[100:]
    pooled = anomaly.threshold_from_scores(held, "pot_pooled", risk=1e-5, training_scores=trained)
    assert pooled == anomaly.threshold_from_scores(scores, "pot", risk=1e-5)
    alone = anomaly.threshold_from_scores(held, "pot", risk=1e-5)
    assert abs(pooled - np.log(1e5)) < 0.1 * np.log(1e5) < abs(alone - np.log(1e5))


def test_contamination_flags_the_expected_share():
    scores = np.random.default_rng(1).normal(size=1000)
    for share in (0.01, 0.05, 0.2):
        assert (scores > anomaly.contamination_threshold(scores, share)).sum() == round(share * 1000)
    assert (scores > anomaly.contamination_threshold(scores[:3], 0.01)).sum() >= 1  # at least one step


def test_steps_from_windows_is_the_mean_over_covering_windows():
    rng = np.random.default_rng(2)
    total, length = 50, 7
    starts = np.arange(0, total - length + 1, 3)
    values = rng.uniform(size=len(starts))
    expected = np.zeros(total)
    for t in range(total):
        covering = [v for s, v in zip(starts, values) if s <= t < s + length]
        expected[t] = np.mean(covering) if covering else 0.0
    np.testing.assert_allclose(
        anomaly.steps_from_windows(values, starts, length, total), expected, rtol=1e-5, atol=1e-7
    )


def test_smooth_scores_is_the_centred_mean_cut_at_the_ends():
    scores = np.random.default_rng(3).uniform(size=40)
    for span in (2, 5, 8, 60):
        expected = [scores[max(t - span // 2, 0) : t - span // 2 + span].mean() for t in range(40)]
        np.testing.assert_allclose(anomaly.smooth_scores(scores, span), expected, rtol=1e-12)
    np.testing.assert_array_equal(anomaly.smooth_scores(scores, 1), scores)
    spike = np.zeros(21)
    spike[10] = 9.0  # a lone high step counts for 1/span of itself, over span steps
    assert np.flatnonzero(anomaly.smooth_scores(spike, 3)).tolist() == [9, 10, 11]
    assert anomaly.smooth_scores(spike, 3).max() == pytest.approx(3.0)
    with pytest.raises(ValueError, match="`span` must be a positive int, received 0"):
        anomaly.smooth_scores(scores, 0)


def test_holdout_split_and_bad_arguments():
    x = np.arange(100, dtype="float32")[:, None]
    train, held = anomaly.holdout_split(x, 0.25, 10)
    assert len(train) == 75 and len(held) == 25 and held[0, 0] == 75
    assert len(anomaly.holdout_split(x, 0.01, 10)[1]) == 10  # at least one window
    for call, message in [
        (lambda: anomaly.holdout_split(x, 1.5, 10), r"`holdout` must be a share in \(0, 1\), received 1.5"),
        (lambda: anomaly.holdout_split(x, 0.95, 10), "leaves 5 training steps"),
        (lambda: anomaly.threshold_from_scores(x, "mean"), "`rule` must be one of"),
        (lambda: anomaly.threshold_from_scores(x, "pot_pooled"), "pass them as `training_scores` \\(received None\\)"),
        (
            lambda: anomaly.threshold_from_scores(x, "pot_pooled", training_scores=[np.inf]),
            "`training_scores` must be finite",
        ),
        (lambda: anomaly.threshold_from_scores(x, "pot", risk=0), r"`risk` must be a probability in \(0, 1\)"),
        (lambda: anomaly.threshold_from_scores([], "max"), "non-empty array of finite values"),
        (lambda: anomaly.threshold_from_scores([1.0, np.nan], "max"), "non-empty array of finite values"),
        (lambda: anomaly.contamination_threshold(x, 0.7), r"`contamination` must be a share in \(0, 0.5\]"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()


def test_forecaster_scores_find_a_spike_and_calibrate_on_its_held_out_tail():
    y = series.load_airline()  # (144, 1)
    model = Forecaster(RNNBackbone(input_dim=1, hidden_dim=8), horizon=6, sequence_length=24, season=12)
    model.compile()
    model.fit(y[:-24], epochs=8, batch_size=16, verbose=0, seed=0, holdout=0.25)
    info = model.threshold_info
    assert info["rule"] == anomaly.DEFAULT_RULE and info["calibration_steps"] == 30  # 25% of 120 steps
    # The tail is scored after the 24 steps before it (its first steps have a full history),
    # then smoothed on its own as `anomaly_scores` smooths a series.
    span = model.anomaly_smoothing
    assert info["smoothing"] == span == max(1, 24 // Forecaster.score_smoothing_divisor)
    tail_scores = anomaly.smooth_scores(model.step_scores(y[:120])[90:], span)
    expected = anomaly.threshold_from_scores(tail_scores, anomaly.DEFAULT_RULE)  # pot on 30 scores: their max
    assert model.anomaly_threshold == pytest.approx(expected, rel=1e-5)
    assert not model.detect(y)[120:].any()  # the unseen normal test steps stay below it
    spiked = y.copy()
    spiked[130] *= 1.6
    np.testing.assert_allclose(model.anomaly_scores(spiked), anomaly.smooth_scores(model.step_scores(spiked), span))
    scores = model.anomaly_scores(spiked, smoothing=1)  # the one-step errors themselves
    assert scores.shape == (144,) and (scores[:12] == 0).all()  # less than one season of history
    # The spike tops every score up to one season after it; there its echo may score as high
    # (the seasonal history then holds the spike), so the argmax is taken before that.
    assert int(np.argmax(scores[: 130 + 12])) == 130
    assert model.detect(spiked)[130]
    assert model.detect(spiked, contamination=0.05).sum() == 8  # ceil(0.05 * 144)
    with pytest.raises(ValueError, match="`series` must be one series"):
        model.anomaly_scores([spiked])
    with pytest.raises(ValueError, match="calibrates an anomaly threshold on the tail of one long normal series"):
        model.fit([y, y], epochs=1, verbose=0, holdout=0.2)
    # "pot_pooled" pools the tail with the training head, whose steps are read as every other
    # step is: after the 24 steps before them (the head's first 24 are history only).
    pooled = model.fit_threshold(y[90:120], rule="pot_pooled", context=y[:90])
    head_scores = anomaly.smooth_scores(model.step_scores(y[:90])[24:], span)
    assert model.threshold_info["training_steps"] == 66 and model.threshold_info["calibration_steps"] == 30
    assert pooled == pytest.approx(
        anomaly.threshold_from_scores(tail_scores, "pot_pooled", training_scores=head_scores), rel=1e-5
    )
    with pytest.raises(ValueError, match=r"`context` must have more than 24 steps .* received 24"):
        model.fit_threshold(y[90:120], rule="pot_pooled", context=y[:24])
