import keras
import numpy as np
import pytest

from rs3l_keras import RNNBackbone, metrics
from rs3l_keras.data import forecast_archives
from rs3l_keras.data.series import load_airline
from rs3l_keras.objectives.global_forecaster import NUM_FEATURES, QUANTILES, GlobalForecaster
from tests.helpers import run_config_round_trip, run_saving_round_trip


def make(hidden=8, **kwargs):
    keras.utils.set_random_seed(0)
    return GlobalForecaster(RNNBackbone(input_dim=NUM_FEATURES, hidden_dim=hidden), **kwargs)


def test_untrained_model_is_the_seasonal_naive_forecast_of_any_length_and_season():
    model = make(horizon=6)  # the quantile head starts at zero: every quantile is seasonal naive
    m1 = forecast_archives.load_competition("M1", "quarterly")
    histories = m1.train[:5] + [np.array([3.0, 5.0], "float32")]  # the last: shorter than one season
    out = model.forecast(histories, horizon=10, season_length=4)
    for history, mean, low, high in zip(histories, out["mean"], out["lower"], out["upper"]):
        expected = metrics.seasonal_naive(history, 10, 4 if len(history) >= 4 else 1)
        np.testing.assert_allclose(mean, expected, rtol=1e-5)
        np.testing.assert_allclose(low, expected, rtol=1e-5)
        assert mean.shape == high.shape == (10,)
    one = model.forecast(m1.train[0], horizon=3, season_length=4)  # one 1-D history → arrays
    assert one["mean"].shape == (3,) and one["quantiles"].shape == (3, len(QUANTILES))


def test_forecasts_scale_with_the_series_and_read_each_season():
    model = make()
    rng = np.random.default_rng(0)
    for layer in model.layers:  # random weights everywhere, so the test is not about seasonal naive
        layer.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in layer.get_weights()])
    y = load_airline()[:, 0]
    out = model.forecast([y, 1000.0 * y, y[:40]], horizon=12, season_length=[12, 12, 1])
    np.testing.assert_allclose(out["quantiles"][1], 1000.0 * out["quantiles"][0], rtol=1e-4)
    assert (np.diff(out["quantiles"][0], axis=-1) >= 0).all()  # sorted quantiles
    assert not np.allclose(out["mean"][0], model.forecast(y, horizon=12, season_length=1)["mean"])
    assert (out["lower"][0] <= out["mean"][0]).all() and (out["mean"][0] <= out["upper"][0]).all()


def test_fine_tuning_on_one_real_series_lowers_the_loss():
    model = make(hidden=16, horizon=12, sequence_length=36)
    model.compile()
    y = load_airline()[:-12, 0]
    history = model.fit(y, season_length=12, batch_size=32, epochs=3, steps_per_epoch=15, holdout=False, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses


def test_holdout_fit_chooses_epochs_on_the_held_out_tail_of_a_real_series():
    model = make(hidden=16, horizon=12, sequence_length=36)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    y = load_airline()[:-12, 0]  # an untrained model: fine-tuning should pay on the tail
    start = [w.copy() for w in model.get_weights()]
    untouched = model._pinball([y[:-12]], [y[-12:]], 12)
    history = model.fit(y, season_length=12, epochs=3, steps_per_epoch=15, verbose=0)  # holdout: the default
    losses = model.holdout_losses
    assert len(losses) == 4 and losses[0] == pytest.approx(untouched)
    chosen = int(np.argmin(losses))
    assert chosen > 0 and losses[chosen] < losses[0], losses
    assert len(history.history["loss"]) == chosen  # refit on the whole series for that many epochs
    assert any(not np.array_equal(a, b) for a, b in zip(start, model.get_weights()))


def test_holdout_fit_leaves_the_model_as_it_was_when_no_epoch_helps():
    from rs3l_keras.zoo import hub

    keras.utils.set_random_seed(0)
    model = hub.load_pretrained("lstm-forecaster-global")  # good zero-shot on airline
    model.compile(optimizer=keras.optimizers.Adam(0.05))  # a rate that can only hurt it
    y = load_airline()[:-12, 0]
    start = [w.copy() for w in model.get_weights()]
    history = model.fit(y, season_length=12, epochs=2, steps_per_epoch=10, holdout=True, verbose=0)
    assert int(np.argmin(model.holdout_losses)) == 0, model.holdout_losses
    assert history.history == {}
    assert all(np.array_equal(a, b) for a, b in zip(start, model.get_weights()))
    assert all(not np.any(np.asarray(v)) for v in model.optimizer.variables[2:])  # Adam moments untouched


def test_bad_arguments_name_the_argument_and_value():
    with pytest.raises(ValueError, match="input_dim=12 features.*received input_dim=3"):
        GlobalForecaster(RNNBackbone(input_dim=3, hidden_dim=4))
    model = make()
    with pytest.raises(ValueError, match="horizon"):
        model.forecast([np.ones(5)], horizon=0)
    with pytest.raises(ValueError, match="season_length` has 2 values for 1 series"):
        model.forecast([np.ones(5)], season_length=[1, 4])
    with pytest.raises(ValueError, match="season_length"):
        model.forecast([np.ones(5)], season_length=-2)
    with pytest.raises(
        ValueError, match="holdout=True` \\(the default\\).*2 \\* horizon \\+ 8.*one of 5.*holdout=False"
    ):
        model.fit([np.ones(5, "float32")], verbose=0)
    with pytest.raises(ValueError, match="horizon \\+ 8"):
        model.fit([np.ones(5, "float32")], holdout=False, verbose=0)
    with pytest.raises(ValueError, match="holdout` must be one of"):  # None: True for series
        model.fit([np.ones(50, "float32")], holdout="yes")
    with pytest.raises(ValueError, match="2 \\* horizon \\+ 8 = 56.*one of 50"):
        model.fit([np.ones(50, "float32")], holdout=True)


def test_config_and_saving_round_trips(tmp_path):
    model = make(horizon=5, sequence_length=20)
    run_config_round_trip(model)
    inputs = {
        "history": np.array([[np.nan, 1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 5.0, 6.0, 7.0]], "float32"),
        "season": np.array([1, 2], "int32"),
        "future": np.zeros((2, 4), "float32"),
    }
    run_saving_round_trip(model, inputs, tmp_path)


def test_plot_draws_a_zero_shot_forecast_of_an_archive_series(tmp_path):
    (path,) = make().plot({}, tmp_path, "untrained", dataset="tourism_quarterly")
    assert path.name == "forecast_tourism_quarterly.png" and path.stat().st_size > 10_000
