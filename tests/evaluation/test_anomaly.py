"""The anomaly benchmark protocol (`rs3l_keras.evaluation.anomaly`): metrics on hand-made
labels, the series and their construction, the baselines on real series."""

import numpy as np
import pytest

from rs3l_keras import anomaly, metrics
from rs3l_keras.evaluation import anomaly as protocol


def test_point_f1_and_top1_within_100_on_hand_made_labels():
    labels = np.zeros(1000, "int32")
    labels[300:310] = 1  # region A: 10 steps
    labels[800] = 1  # region B: one step
    predicted = np.zeros(1000, bool)
    predicted[305:315] = True  # 5 of A's steps, 5 false alarms
    predicted[800] = True
    # tp 6, predicted 11, labelled 11: precision = recall = F1 = 6/11
    assert metrics.precision_recall_f1(labels, predicted) == pytest.approx(
        {"precision": 6 / 11, "recall": 6 / 11, "f1": 6 / 11}
    )
    scores = np.zeros(1000)
    scores[300:310] = 2.0
    scores[800] = 1.0
    scores[500] = 1.5  # a false alarm between the regions
    best = metrics.best_f1(labels, scores)  # at threshold 1: 12 flagged, 11 right: P 11/12, R 1
    assert best["f1"] == pytest.approx(22 / 23) and best["threshold"] == 1.0
    for peak, hit in [(409, True), (411, False), (700, True), (900, True), (901, False), (150, False)]:
        peaked = np.zeros(1000)
        peaked[peak] = 1.0
        assert metrics.top1_hit(labels, peaked) is hit, peak  # within 100 steps of a labelled step
    with pytest.raises(ValueError, match="`labels` has no anomaly"):
        metrics.top1_hit(np.zeros(10), np.ones(10))


def test_series_and_the_spliced_construction():
    for name in protocol.SERIES_NAMES:
        normal, test, labels = protocol.load_series(name)
        assert normal.ndim == test.ndim == 2 and normal.shape[1] == test.shape[1] == 1
        assert labels.shape == (len(test),) and labels.any() and np.isfinite(normal).all()
    # ECG200: the 69 majority TRAIN series are the normal part; the test part is the majority
    # TEST series (64 of them) with the first minority TEST series after the 32nd: one block.
    from rs3l_keras.data import ucr_archive

    normal, test, labels = protocol.load_series("ecg200_spliced")
    train, train_labels = ucr_archive.load("ECG200", "train")
    tests, test_labels = ucr_archive.load("ECG200", "test")
    majority, minority = np.argmax(np.bincount(train_labels)), np.argmin(np.bincount(train_labels))
    assert len(normal) == 96 * int((train_labels == majority).sum())
    assert len(test) == 96 * (int((test_labels == majority).sum()) + 1)
    where = np.flatnonzero(labels)
    assert len(where) == 96 and where[0] == 96 * 32 and (np.diff(where) == 1).all()
    odd = tests[int(np.flatnonzero(test_labels == minority)[0])]
    np.testing.assert_array_equal(test[where], odd)
    with pytest.raises(ValueError, match="`name` must be one of"):
        protocol.load_series("nab")


def test_crossfade_joins_beats_with_weights_that_sum_to_one():
    beats = [np.full((10, 1), v, "float32") for v in (1.0, 1.0, 1.0)]
    joined = protocol.crossfade(beats, 3)
    assert joined.shape == (3 * 10 - 2 * 3, 1)
    np.testing.assert_allclose(joined, 1.0, rtol=1e-6)  # equal beats: the weights sum to 1 everywhere
    ramp = protocol.crossfade([np.zeros((10, 1)), np.ones((10, 1))], 3)[:, 0]
    np.testing.assert_allclose(ramp[7:10], [0.25, 0.5, 0.75])  # the later beat's weight rises over the overlap
    assert (ramp[:7] == 0).all() and (ramp[10:] == 1).all()
    np.testing.assert_array_equal(protocol.crossfade(beats, 0), np.concatenate(beats))  # no fade: concatenation
    with pytest.raises(ValueError, match="`fade` must be in \\[0, 5\\) .* got 5"):
        protocol.crossfade(beats, 5)


def test_crossfaded_series_keep_the_spliced_beats_and_label_the_spliced_one():
    for source, length, fade in (("ecg200", 96, 12), ("ecg5000", 140, 17)):
        normal_beats, test_beats, odd = protocol.spliced_beats(*protocol.SPLICED_SOURCES[source])
        normal, test, labels = protocol.load_series(f"{source}_crossfaded")
        stride = length - fade
        assert (
            len(test) == (len(test_beats) - 1) * stride + length
            and len(normal) == (len(normal_beats) - 1) * stride + length
        )
        where = np.flatnonzero(labels)
        assert where[0] == odd * stride and len(where) == length and (np.diff(where) == 1).all()
        # Outside the overlaps each step is its beat's own value; the spliced beat's middle is unchanged.
        np.testing.assert_allclose(test[where[fade:-fade]], test_beats[odd][fade:-fade], rtol=1e-6)
        np.testing.assert_allclose(normal[stride + fade : 2 * stride], normal_beats[1][fade:stride], rtol=1e-6)
        # The same beats as the join construction, which concatenates them.
        _, joined, joined_labels = protocol.load_series(f"{source}_spliced")
        np.testing.assert_array_equal(joined[joined_labels == 1], test_beats[odd])


def test_baselines_and_the_model_rows_on_yahoo():
    normal, test, labels = protocol.load_series("yahoo")
    window = protocol.WINDOWS["yahoo"]
    head, tail = anomaly.holdout_split(normal, protocol.CONFIG["holdout"], window)
    z_test, z_held, z_in = protocol.zscore_scores(head, tail, test, window)
    # One-step spikes: the rolling z-score finds them (best F1 1.0 was measured).
    assert metrics.best_f1(labels, z_test)["f1"] > 0.9 and z_held.shape == (len(tail),)
    if_test, if_held, if_in, offset = protocol.iforest_scores(head, tail, test, window, seed=0)
    assert if_test.shape == (len(test),) and np.isfinite(if_test).all() and offset == 0.5
    mp_test, mp_held, mp_in = protocol.matrix_profile_scores(head, tail, test, window)
    assert mp_test.shape == (len(test),) and mp_in.shape == (len(head),) and (mp_test >= 0).all()
    assert metrics.top1_hit(labels, mp_test)
    rule_thresholds = protocol.thresholds(z_held, z_in)
    assert set(rule_thresholds) == {*protocol.RULES, *protocol.CALIBRATION_CANDIDATES}
    assert rule_thresholds["max"] == z_held.max()
    # The candidates that read the training part: the larger of the two tails' pot, and pot on both.
    on_head = anomaly.pot_threshold(z_in, protocol.CONFIG["risk"])
    assert rule_thresholds["pot_max"] == max(rule_thresholds["pot"], on_head) >= rule_thresholds["pot"]
    assert rule_thresholds["pot_pooled"] == anomaly.pot_threshold(
        np.concatenate([z_held, z_in]), protocol.CONFIG["risk"]
    )
    row = protocol.score_report(labels, z_test, rule_thresholds)
    assert row["max"]["flagged"] == int((z_test > z_held.max()).sum())
    rows = [
        {"series": s, "method": "autoencoder", "seed": 0, "best_f1": 0.5, "top1_hit": True, **row}
        for s in ("ucr135", "ecg3", "yahoo")
    ]
    rule, means = protocol.choose_rule(rows)
    assert means[rule] == max(means.values())
    table = protocol.summary_table(rows)
    assert table.count("\n") == 4 and "| ecg3 | autoencoder |" in table


def test_cross_fitted_arm_scores_every_normal_step_out_of_fold(monkeypatch):
    normal, test, labels = protocol.load_series("yahoo")  # 400 normal steps
    parts = [normal[:100], normal[200:]]
    windows = protocol.windows_within(parts, 24)
    assert windows.shape == (77 + 177, 24, 1)  # none straddles the cut-out steps 100-199
    np.testing.assert_array_equal(windows[77], normal[200:224])
    monkeypatch.setitem(protocol.CONFIG, "steps", 8)  # a few steps each: this checks the plumbing
    model, held = protocol.autoencoder_crossfit(normal, 24, seed=0)
    assert held.shape == (400,) and np.isfinite(held).all() and (held >= 0).all()
    # Each fold is scored by a model that did not train on it: not the final model's scores.
    assert not np.allclose(held, model.anomaly_scores(normal))
    rows = protocol.run_series("yahoo", [0], ["autoencoder_crossfit"], deterministic=False)
    row = next(r for r in rows if r["method"] == "autoencoder_crossfit")
    assert row["own"]["threshold"] == pytest.approx(row["pot"]["threshold"])  # the default rule on the folds


def test_long_arm_trains_ten_times_the_steps_of_the_autoencoder_arm(monkeypatch):
    normal, _, _ = protocol.load_series("yahoo")  # 400 normal steps: 277 training windows of 24
    monkeypatch.setitem(protocol.CONFIG, "steps", 9)  # 9 steps = 1 epoch of 9 batches; 90 = 10 epochs
    short = protocol.TRAINED["autoencoder"](normal, 24, 0)
    long = protocol.TRAINED["autoencoder_long"](normal, 24, 0)
    assert int(short.optimizer.iterations) == 9
    assert int(long.optimizer.iterations) == protocol.LONG_FACTOR * 9
    assert long.threshold_info["rule"] == short.threshold_info["rule"] == anomaly.DEFAULT_RULE


def test_splice_report_finds_the_joins_of_the_concatenated_beats():
    report = protocol.splice_report("ecg200_spliced")
    assert report["test_steps"] == 96 * report["test_beats"] and report["anomaly"][1] - report["anomaly"][0] == 95
    assert report["median_step_across_joins"] > 2 * report["median_step_inside_beats"]
    assert 1 <= report["rank_of_spliced_beat_by_nearest_normal_beat"] <= report["test_beats"]
    share = report["share_of_all_steps_near_a_join"]
    assert report["zscore"]["share_of_top100_near_a_join"] > 4 * share  # the z-score flags the joins
    assert 1 <= report["matrix_profile"]["rank_of_best_anomalous_step"] <= report["test_steps"]
    with pytest.raises(ValueError, match="name"):
        protocol.splice_report("ucr135")
    faded = protocol.splice_report("ecg200_crossfaded")  # the same beats, joined without jumps
    assert faded["fade"] == 12 and report["fade"] == 0
    assert faded["rank_of_spliced_beat_by_nearest_normal_beat"] == report["rank_of_spliced_beat_by_nearest_normal_beat"]
    assert faded["median_step_across_joins"] < report["median_step_across_joins"] / 2


def test_forecaster_long_arm_trains_ten_times_the_forecaster_steps(monkeypatch):
    normal, _, _ = protocol.load_series("yahoo")  # 300 training steps: 245 windows of 48 + 8
    monkeypatch.setitem(protocol.CONFIG, "forecaster_steps", 8)  # 1 epoch of 8 batches; 80 = 10 epochs
    short = protocol.TRAINED["forecaster"](normal, 24, 0)
    long = protocol.TRAINED["forecaster_long"](normal, 24, 0)
    assert int(short.optimizer.iterations) == 8
    assert int(long.optimizer.iterations) == protocol.LONG_FACTOR * 8


def test_smoothing_arms_read_raw_and_smoothed_scores_of_one_model(monkeypatch):
    monkeypatch.setitem(protocol.CONFIG, "forecaster_steps", 8)
    rows = protocol.run_smoothing("yahoo", 0, ["forecaster"])
    assert [r["method"] for r in rows] == ["forecaster"] + [f"forecaster_smooth_w{k}" for k in (8, 4, 2)]
    assert [r["span"] for r in rows] == [1, 3, 6, 12]  # window 24 // k
    assert len({r["seconds"] for r in rows}) == 1  # one trained model, four readings of its scores
    for row in rows:
        assert row["own"]["threshold"] == row[anomaly.DEFAULT_RULE]["threshold"]  # the default rule, held-out tail
    # Smoothing spreads the one-step anomalies of yahoo: more steps above the threshold, a lower peak.
    assert rows[-1]["best_f1"] < rows[0]["best_f1"]


def test_smoothing_rule_adopts_a_span_only_beyond_the_margin():
    def row(series, method, f1):
        return {"series": series, "method": method, "own": {"f1": f1}}

    rows = [row(s, m, f1) for s in ("ucr135", "ecg3") for m, f1 in (("autoencoder", 0.3), ("autoencoder_long", 0.3))]
    rows += [row(s, f"{a}_smooth_w4", 0.36) for s in ("ucr135", "ecg3") for a in ("autoencoder", "autoencoder_long")]
    rows += [
        row(s, f"{a}_smooth_w{k}", 0.2)
        for s in ("ucr135", "ecg3")
        for a in ("autoencoder", "autoencoder_long")
        for k in (8, 2)
    ]
    rows += [row("yahoo", "autoencoder_smooth_w8", 1.0)]  # a test series never chooses
    chosen = protocol.choose_smoothing(rows)["SequenceAutoencoder"]
    assert chosen["best"] == "w/4" and chosen["adopted"]
    assert chosen["dev_mean_f1"]["raw"] == pytest.approx(0.3) and chosen["dev_mean_f1"]["w/8"] == pytest.approx(0.2)
    rows = [{**r, "own": {"f1": 0.34}} if r["method"].endswith("w4") else r for r in rows]  # +0.04: not enough
    assert not protocol.choose_smoothing(rows)["SequenceAutoencoder"]["adopted"]
    assert set(protocol.choose_smoothing(rows)) == {"SequenceAutoencoder"}  # no forecaster rows: no reading


def test_global_finetuned_arm_fine_tunes_the_preset_on_the_normal_head(monkeypatch):
    from rs3l_keras.zoo import load_pretrained

    normal, _, _ = protocol.load_series("yahoo")
    monkeypatch.setitem(protocol.CONFIG, "finetune_steps", 3)  # a few batches: this checks the plumbing
    model = protocol.TRAINED["global_finetuned"](normal, 24, 0)
    assert int(model.optimizer.iterations) == 3
    preset = load_pretrained("lstm-forecaster-global")
    assert any(not np.allclose(a, b) for a, b in zip(model.get_weights(), preset.get_weights()))
    head, tail = anomaly.holdout_split(normal, protocol.CONFIG["holdout"], 24)
    info = model.threshold_info
    assert info["rule"] == anomaly.DEFAULT_RULE and info["calibration_steps"] == len(tail)
    assert model.anomaly_smoothing == 1  # GlobalForecaster's scores are read unsmoothed by default


def test_calibration_rule_reads_development_rows_at_the_default_span_only():
    def row(series, method, pot, pot_max, pot_pooled):
        return {
            "series": series,
            "method": method,
            **{k: {"f1": v} for k, v in zip(("pot", "pot_max", "pot_pooled"), (pot, pot_max, pot_pooled))},
        }

    rows = [
        row(s, f"{arm}_smooth_w4", 0.5, 0.56, 0.52)
        for s in protocol.DEV_SERIES
        for arm in ("forecaster", "forecaster_long")
    ]
    rows += [
        row(s, f"{arm}_smooth_w4", 0.5, 0.54, 0.3)
        for s in protocol.DEV_SERIES
        for arm in ("autoencoder", "autoencoder_long")
    ]
    rows += [
        row("yahoo", "forecaster_smooth_w4", 0.0, 1.0, 1.0),
        row("ucr135", "forecaster", 0.0, 1.0, 1.0),
    ]  # never read
    chosen = protocol.choose_calibration(rows)
    assert chosen["Forecaster"]["best"] == "pot_max" and chosen["Forecaster"]["adopted"]  # 0.56 > 0.5 + 0.05
    assert chosen["Forecaster"]["dev_mean_f1"]["pot_max"] == pytest.approx(0.56) and chosen["Forecaster"]["rows"] == 4
    assert chosen["SequenceAutoencoder"]["best"] == "pot_max" and not chosen["SequenceAutoencoder"]["adopted"]
    assert protocol.choose_calibration([r for r in rows if "forecaster" not in r["method"]]).keys() == {
        "SequenceAutoencoder"
    }
