import numpy as np
import pytest

from rs3l_keras import Forecaster, RNNBackbone, metrics
from rs3l_keras.data import series
from tests.helpers import run_config_round_trip, run_learns, run_saving_round_trip


@pytest.fixture(scope="module")
def airline():
    return series.load_airline()  # (144, 1)


@pytest.fixture(scope="module")
def elec():
    return series.load_elecdemand()[-3000:]  # Demand, WorkDay, Temperature


def make(channels=1, horizon=12, sequence_length=24, season=12, hidden_dim=8, **kwargs):
    model = Forecaster(
        RNNBackbone(input_dim=channels, hidden_dim=hidden_dim),
        horizon=horizon,
        sequence_length=sequence_length,
        season=season,
        **kwargs,
    )
    model.compile()
    return model


def test_metrics_reproduce_the_published_airline_baseline(airline):
    train, test = airline[:-36, 0], airline[-36:, 0]
    forecast = metrics.seasonal_naive(train, 36, 12)
    assert metrics.smape(test, forecast) == pytest.approx(14.54, abs=0.005)
    assert metrics.mase(test, forecast, train, 12) == pytest.approx(1.965, abs=0.0005)
    assert metrics.smape([1.0, 0.0], [1.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        metrics.smape([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="more than `season`=12"):
        metrics.mase(test, forecast, train[:12], 12)


def test_learns_on_airline_and_beats_seasonal_naive(airline):
    train, test = airline[:-36], airline[-36:]
    model = make(horizon=36, sequence_length=36, hidden_dim=16, distribution=None, instance_normalization="location")
    model.adapt(train)
    windows = model.make_dataset(train, batch_size=16, shuffle=True, seed=0).repeat()  # 49 windows
    first, last = run_learns(model, windows, steps=60, min_drop=0.0)
    assert last < 0.5 * first
    forecast = model.forecast(train, horizon=36)["mean"][:, 0]
    assert metrics.smape(test[:, 0], forecast) < 14.54  # seasonal naive


def test_forecast_shapes_scale_and_intervals(airline, tmp_path):
    model = make()
    model.fit(airline[:-12], epochs=2, batch_size=16, verbose=0, seed=0)
    clone = run_config_round_trip(model)
    assert clone.season == 12 and clone.target_channels == [0]
    # Before the forecasts below: many input shapes make tf.function trace a shape-relaxed
    # graph, whose float rounding can differ from a fresh model's in the last bit.
    inputs = {
        "history": series.pad_series([airline[:30], airline[:24]]),
        "future": np.full((2, 12, 1), np.nan, "float32"),
    }
    loaded = run_saving_round_trip(model, inputs, tmp_path)
    out = model.forecast(airline[:-12], interval=0.8, quantiles=[0.1, 0.5, 0.9])
    assert out["mean"].shape == out["lower"].shape == out["upper"].shape == (12, 1)
    assert out["quantiles"].shape == (12, 1, 3)
    assert (out["lower"] < out["mean"]).all() and (out["mean"] < out["upper"]).all()
    np.testing.assert_allclose(out["quantiles"][..., 1], out["mean"], rtol=1e-5)
    np.testing.assert_allclose(out["quantiles"][..., 0], out["lower"], rtol=1e-4)
    assert 100 < out["mean"].mean() < 700  # passengers (thousands), not z-scores
    # Longer horizons run in blocks; a batch of unequal histories gives one forecast each.
    assert model.forecast(airline[:-12], horizon=30)["mean"].shape == (30, 1)
    batch = model.forecast([airline[:60], airline[:100]], horizon=5)
    assert batch["mean"].shape == (2, 5, 1)
    np.testing.assert_allclose(batch["mean"][1], model.forecast(airline[:100], horizon=5)["mean"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(loaded.forecast(airline[:-12], interval=0.8)["upper"], out["upper"], rtol=1e-5)


def test_covariates_and_point_loss(elec):
    model = make(channels=3, horizon=48, sequence_length=96, season=48, hidden_dim=16, distribution=None, loss="mae")
    assert model.covariate_channels == [1, 2] and set(
        model.predict_on_batch({"history": elec[None, :96], "future": elec[None, 96:144]})
    ) == {"mean"}
    run_learns(model, elec, steps=40, batch_size=16, min_drop=0.05, seed=0)  # MAE, normalised units
    history, future = elec[:-48], elec[-48:]
    out = model.forecast(history, covariates=future[:, 1:])
    assert set(out) == {"mean"} and out["mean"].shape == (48, 1) and 2 < out["mean"].mean() < 8  # GW
    hot = future[:, 1:].copy()
    hot[:, 1] += 15.0  # the covariates are read: a 15 °C warmer day changes the forecast
    assert not np.allclose(model.forecast(history, covariates=hot)["mean"], out["mean"])
    with pytest.raises(ValueError, match="`covariates` is required"):
        model.forecast(history)
    with pytest.raises(ValueError, match="must cover the horizon"):
        model.forecast(history, horizon=60, covariates=future[:, 1:])
    with pytest.raises(ValueError, match=r"`covariates\[0\]` has 3 channels: this model expects 2"):
        model.forecast(history, covariates=future)


def test_bad_inputs(airline):
    backbone = RNNBackbone(input_dim=1, hidden_dim=4)
    for kwargs, message in [
        (dict(horizon=0), "`horizon` must be a positive int, received 0"),
        (dict(horizon=3, distribution="poisson"), "`distribution` must be one of"),
        (dict(horizon=3, loss="huber"), "`loss` must be one of"),
        (dict(horizon=3, loss="mse"), "does not fit `distribution='gaussian'`"),
        (dict(horizon=3, target_channels=[1]), r"distinct channel indices in \[0, 1\)"),
        (dict(horizon=3, instance_normalization="batch"), "`instance_normalization` must be one of"),
    ]:
        with pytest.raises(ValueError, match=message):
            Forecaster(backbone, **kwargs)
    with pytest.raises(ValueError, match="feature backbone"):
        Forecaster(RNNBackbone(vocabulary_size=10, hidden_dim=4), horizon=3)
    model = make()
    with pytest.raises(ValueError, match="normaliser is not fitted"):
        model.forecast(airline)
    model.adapt(airline)
    with pytest.raises(ValueError, match="`horizon` must be a positive int, received -1"):
        model.forecast(airline, horizon=-1)
    with pytest.raises(ValueError, match="has 2 channels: this model expects 1"):
        model.forecast(np.ones((50, 2), "float32"))
    nan = airline.copy()
    nan[5] = np.nan
    with pytest.raises(ValueError, match="non-finite value nan at time 5"):
        model.forecast(nan)
    with pytest.raises(ValueError, match="has length 0"):
        model.forecast(np.zeros((0, 1), "float32"))
    with pytest.raises(ValueError, match="at least one season"):
        model.forecast(airline[:6])
    with pytest.raises(ValueError, match="`interval` must be in"):
        model.forecast(airline, interval=1.5)
    with pytest.raises(ValueError, match="training windows need sequence_length \\+ horizon = 24 \\+ 12 = 36"):
        model.fit(airline[:30], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="builds its own targets"):
        model.fit(airline, airline, epochs=1, verbose=0)
