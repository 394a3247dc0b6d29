import numpy as np
import pytest

from rs3l_keras import RNNBackbone, SequenceAutoencoder, anomaly, metrics
from rs3l_keras.data import series
from tests.helpers import run_config_round_trip, run_learns, run_saving_round_trip


@pytest.fixture(scope="module")
def ucr135():
    normal, _ = series.load_kdd_tsad_135("train")  # (1200, 1), normal
    full, labels = series.load_kdd_tsad_135("test")  # (7501, 1), anomaly at 4187-4198
    return normal, full, labels


def make(channels=1, hidden_dim=16, **kwargs):
    kwargs = {"code_dim": 8, "sequence_length": 32, "window_stride": 4, **kwargs}
    model = SequenceAutoencoder(RNNBackbone(input_dim=channels, hidden_dim=hidden_dim), **kwargs)
    model.compile()
    return model


def test_learns_to_reconstruct_real_series(ucr135):
    normal, _, _ = ucr135
    model = make()
    model.adapt(normal)
    windows = model.make_dataset(normal, batch_size=32, shuffle=True, seed=0).repeat()  # 293 windows
    first, last = run_learns(model, windows, steps=60, min_drop=0.0)
    assert last < 0.3 * first  # mean squared error in normalised units
    windows = np.stack([normal[i : i + 32] for i in range(0, 1150, 50)])  # (23, 32, 1)
    recon = model.reconstruct(windows)
    assert recon.shape == windows.shape
    error = np.abs(recon - windows).mean()  # original units
    assert error < 0.4 * np.abs(windows - normal.mean()).mean()  # vs the training mean


def test_scores_threshold_detect_and_round_trips(ucr135, tmp_path):
    normal, full, labels = ucr135
    model = make()
    model.fit(normal, epochs=1, batch_size=32, verbose=0, seed=0, holdout=0)  # all of it; no threshold
    clone = run_config_round_trip(model)
    assert clone.sequence_length == 32 and clone.code_dim == 8
    batch = series.pad_series([normal[:40], normal[100:125]])  # unequal lengths, NaN-left-padded
    loaded = run_saving_round_trip(model, batch, tmp_path)
    out = model.predict_on_batch(batch)
    assert out["reconstruction"].shape == (2, 40, 1) and out["code"].shape == (2, 8)
    # Left padding reads as zeros (the training mean): it moves the code of a short series
    # only a little (the encoder's state drifts from its bias over the padded steps).
    alone = model.encode([normal[100:125]])
    assert np.abs(alone - out["code"][1:]).max() < 0.05 * np.abs(alone).max()
    segment = full[4000:4400]
    scores = model.anomaly_scores(segment, stride=2)
    assert scores.shape == (400,) and (scores >= 0).all()
    assert model.anomaly_scores(normal[:20]).shape == (20,)  # shorter than a window: one window
    with pytest.raises(ValueError, match="No anomaly threshold yet"):
        model.detect(segment)
    threshold = model.fit_threshold(normal, rule="quantile", quantile=0.99)
    assert threshold == pytest.approx(np.quantile(model.anomaly_scores(normal), 0.99))
    assert model.threshold_info == {
        "rule": "quantile",
        "calibration_steps": 1200,
        "threshold": threshold,
        "quantile": 0.99,
        "smoothing": model.anomaly_smoothing,
    }
    flags = model.detect(segment, stride=2)
    assert flags.dtype == bool and flags.shape == (400,)
    np.testing.assert_array_equal(flags, scores > threshold)
    # The threshold is stored with the model.
    model.save(tmp_path / "thresholded.keras")
    import keras

    reloaded = keras.saving.load_model(tmp_path / "thresholded.keras", safe_mode=True)
    assert float(reloaded.threshold.numpy()) == pytest.approx(threshold)
    assert loaded.encode(batch[:1, -40:]).shape == (1, 8)


def test_fit_calibrates_the_threshold_on_normal_steps_it_did_not_train_on(ucr135):
    normal, full, labels = ucr135
    model = make(hidden_dim=32, window_stride=2)
    model.fit(normal, epochs=10, batch_size=32, verbose=0, seed=0)  # the default: holdout 0.25
    info = model.threshold_info
    assert info == {
        "rule": "pot_pooled",
        "risk": 1e-4,
        "calibration_steps": 300,
        "training_steps": 900,
        "threshold": info["threshold"],
        "holdout": 0.25,
        "smoothing": max(1, 32 // SequenceAutoencoder.score_smoothing_divisor),
    }
    # The default rule: pot on the held-out tail's scores pooled with the training head's.
    held_out, head = model.anomaly_scores(normal[900:]), model.anomaly_scores(normal[:900])
    pooled = anomaly.threshold_from_scores(held_out, "pot_pooled", training_scores=head)
    assert model.anomaly_threshold == pytest.approx(pooled, rel=1e-5)
    assert pooled == anomaly.threshold_from_scores(np.concatenate([held_out, head]), "pot")
    assert model.anomaly_threshold >= max(held_out.max(), head.max()) * (1 - 1e-6)  # risk 1e-4 < 1/1200
    in_sample = np.quantile(model.anomaly_scores(normal[:900]), 0.99)  # the old rule, on trained steps
    assert abs(model.anomaly_threshold - in_sample) > 0.05 * in_sample
    # The normaliser saw the training steps only.
    np.testing.assert_allclose(model.normalizer.numpy_mean, normal[:900].mean(0), rtol=1e-4)
    test, test_labels = full[1200:], labels[1200:]
    flagged = model.detect(test)
    measured = metrics.precision_recall_f1(test_labels, flagged)
    # catches the anomaly (4 of its 12 steps were measured at the pot threshold), < 1% of steps flagged
    assert measured["recall"] > 0.25 and flagged.mean() < 0.01
    assert metrics.top1_hit(test_labels, model.anomaly_scores(test))
    for share in (0.001, 0.01):
        assert model.detect(test, contamination=share).sum() == np.ceil(share * len(test))  # at least that share


def test_score_smoothing_is_the_centred_mean_of_the_step_scores_and_travels_with_the_model(ucr135, tmp_path):
    normal, full, _ = ucr135
    model = make(score_smoothing=5)
    model.fit(normal, epochs=1, batch_size=32, verbose=0, seed=0)  # holds the last 300 steps out
    segment = full[4100:4300]
    raw = model.step_scores(segment)
    np.testing.assert_allclose(model.anomaly_scores(segment), anomaly.smooth_scores(raw, 5), rtol=1e-6)
    np.testing.assert_allclose(model.anomaly_scores(segment, smoothing=1), raw, rtol=1e-6)
    # The threshold is the default rule on the held-out tail's and the head's scores, each smoothed the same way.
    tail, head = (anomaly.smooth_scores(model.step_scores(part), 5) for part in (normal[900:], normal[:900]))
    expected = anomaly.threshold_from_scores(tail, "pot_pooled", training_scores=head)
    assert model.anomaly_threshold == pytest.approx(expected, rel=1e-5)
    assert model.threshold_info["smoothing"] == 5
    np.testing.assert_array_equal(model.detect(segment), model.anomaly_scores(segment) > model.anomaly_threshold)
    clone = run_config_round_trip(model)
    assert clone.score_smoothing == 5 and clone.anomaly_smoothing == 5
    assert make(sequence_length=40).anomaly_smoothing == max(1, 40 // SequenceAutoencoder.score_smoothing_divisor)
    with pytest.raises(ValueError, match="`smoothing` must be a positive int, received 0"):
        model.anomaly_scores(segment, smoothing=0)


def test_window_normalisation_makes_scores_level_and_scale_free(ucr135, tmp_path):
    normal, full, _ = ucr135
    model = make(normalization="per_series")
    model.adapt(normal)  # nothing to fit: each window is z-scored over its own steps
    windows = model.make_dataset(normal, batch_size=32, shuffle=True, seed=0).repeat()
    first, last = run_learns(model, windows, steps=60, min_drop=0.0)
    assert last < 0.5 * first  # in each window's own units
    segment = full[4000:4400]
    moved = 3.0 * segment + 100.0  # another level and scale
    scores = model.anomaly_scores(segment, stride=2)
    np.testing.assert_allclose(model.anomaly_scores(moved, stride=2), scores, rtol=1e-3, atol=1e-5)
    windows = np.stack([normal[i : i + 32] for i in range(0, 1150, 100)])
    np.testing.assert_allclose(
        model.reconstruct(3.0 * windows + 100.0), 3.0 * model.reconstruct(windows) + 100.0, rtol=1e-4, atol=1e-3
    )  # original units, each window's own level and scale
    # The control: dataset statistics see the moved segment as far from normal.
    plain = make()
    plain.fit(normal, epochs=1, batch_size=32, verbose=0, seed=0, holdout=0)
    assert plain.anomaly_scores(moved, stride=2).mean() > 100 * plain.anomaly_scores(segment, stride=2).mean()
    clone = run_config_round_trip(model)
    assert clone.normalization == "per_series"
    loaded = run_saving_round_trip(model, series.pad_series([normal[:40], normal[100:125]]), tmp_path)
    np.testing.assert_allclose(loaded.anomaly_scores(segment, stride=2), scores, rtol=1e-5)
    with pytest.raises(
        ValueError, match="`normalization` must be one of \\['dataset', 'per_series'\\], received 'window'"
    ):
        make(normalization="window")


def test_zscore_and_anomaly_metrics(ucr135):
    _, full, labels = ucr135
    z = metrics.rolling_zscore(full, 100)
    assert z.shape == (7501,) and np.isfinite(z).all()
    assert metrics.top1_hit(labels, labels.astype(float))
    assert metrics.precision_recall_f1(labels, labels) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert metrics.best_f1(labels, labels.astype(float))["f1"] == 1.0


def test_bad_inputs(ucr135):
    normal, _, _ = ucr135
    backbone = RNNBackbone(input_dim=1, hidden_dim=4)
    for kwargs, message in [
        (dict(code_dim=0), "`code_dim` must be a positive int, received 0"),
        (dict(sequence_length=-3), "`sequence_length` must be a positive int, received -3"),
        (dict(window_stride=1.5), "`window_stride` must be a positive int"),
        (dict(score_smoothing=0), "`score_smoothing` must be a positive int, received 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            SequenceAutoencoder(backbone, **kwargs)
    model = make()
    with pytest.raises(ValueError, match="normaliser is not fitted"):
        model.anomaly_scores(normal)
    model.adapt(normal)
    with pytest.raises(ValueError, match="has 2 channels: this model expects 1"):
        model.anomaly_scores(np.ones((50, 2), "float32"))
    bad = normal.copy()
    bad[7] = np.nan
    with pytest.raises(ValueError, match="non-finite value nan at time 7"):
        model.anomaly_scores(bad)
    with pytest.raises(ValueError, match="has length 0"):
        model.reconstruct([np.zeros((0, 1), "float32")])
    with pytest.raises(ValueError, match="must have rank 3"):
        model.encode(normal)  # one series: encode takes a batch
    with pytest.raises(ValueError, match="`series` must be one series"):
        model.anomaly_scores([normal])
    with pytest.raises(ValueError, match="`quantile` must be a float in"):
        model.fit_threshold(normal, rule="quantile", quantile=0)
    with pytest.raises(ValueError, match="`rule` must be one of"):
        model.fit_threshold(normal, rule="mean")
    with pytest.raises(
        ValueError, match="`rule='pot_pooled'` pools the scores of `series` with those of the normal steps"
    ):
        model.fit_threshold(normal, rule="pot_pooled")  # asked for, without the training steps
    with pytest.raises(ValueError, match=r"`contamination` must be a share in \(0, 0.5\], received 0.7"):
        model.detect(normal, contamination=0.7)
    with pytest.raises(ValueError, match=r"`holdout` must be a share in \(0, 1\), received 2"):
        model.fit(normal, verbose=0, holdout=2)
    with pytest.raises(ValueError, match="leaves 12 training steps of a 44-step series"):
        model.fit(normal[:44], verbose=0)
    with pytest.raises(ValueError, match="No anomaly threshold yet"):
        model.detect(normal)
    with pytest.raises(ValueError, match="`stride` must be a positive int, received 0"):
        model.anomaly_scores(normal, stride=0)
    with pytest.raises(ValueError, match="builds its own targets"):
        model.fit(normal, normal, verbose=0)
    model.fit_threshold(normal)  # the default, with no training steps given: pot on `normal` alone
    assert model.threshold_info["rule"] == "pot" and "training_steps" not in model.threshold_info
