import keras
import numpy as np
import pytest

from rs3l_keras import RecurrentGAN, RNNBackbone
from rs3l_keras.data.series import make_sines
from tests.helpers import run_config_round_trip, run_saving_round_trip


def make(hidden_dim=8, **kwargs):
    model = RecurrentGAN(RNNBackbone(input_dim=5, cell="gru", hidden_dim=hidden_dim), seed=0, **kwargs)
    model.compile()
    return model


def values(variables):
    return [keras.ops.convert_to_numpy(v).copy() for v in variables]


def changed(before, variables):
    return [not np.array_equal(b, a) for b, a in zip(before, values(variables))]


def distance_to(real, fake):
    """Per (step, channel) moments across series, plus the lag-1 autocorrelation of each
    series and channel: what a sine generator must get right."""

    def stats(x):
        centred = x - x.mean(axis=1, keepdims=True)
        acf = (centred[:, 1:] * centred[:, :-1]).sum(1) / np.maximum((centred**2).sum(1), 1e-8)
        return x.mean(0), x.std(0), acf.mean(0)

    return sum(np.abs(a - b).mean() for a, b in zip(stats(real), stats(fake)))


def test_learns_on_real_sines():
    """80 steps move the samples' moments and autocorrelation clearly towards held-out sines."""
    keras.utils.set_random_seed(0)
    real = make_sines(1024, seed=0)
    model = make(hidden_dim=16)
    model.compile(
        g_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5, global_clipnorm=1.0),
        d_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5, global_clipnorm=1.0),
    )
    model.adapt(real)
    held_out = make_sines(512, seed=1)
    before = distance_to(held_out, model.sample(512, seed=1))
    history = model.fit(real, epochs=5, batch_size=64, verbose=0, seed=0)  # 80 steps
    after = distance_to(held_out, model.sample(512, seed=1))
    assert sorted(history.history) == ["d_loss", "g_loss"]
    assert np.isfinite(history.history["d_loss"]).all() and np.isfinite(history.history["g_loss"]).all()
    assert after < 0.4 * before, f"distance to the data {before:.3f} → {after:.3f}"


def test_each_optimizer_updates_only_its_own_network():
    real = make_sines(640, seed=0)
    for frozen in ("g", "d"):
        model = make()
        zero, adam = keras.optimizers.SGD(0.0), keras.optimizers.Adam(1e-2)
        model.compile(g_optimizer=zero if frozen == "g" else adam, d_optimizer=zero if frozen == "d" else adam)
        model.adapt(real)
        gen, disc = values(model.generator_variables), values(model.discriminator_variables)
        rest = values(model.non_trainable_variables)
        history = model.fit(real, epochs=1, batch_size=32, verbose=0)  # 20 steps
        assert not any(
            changed(
                gen if frozen == "g" else disc,
                model.generator_variables if frozen == "g" else model.discriminator_variables,
            )
        )
        assert all(
            changed(
                disc if frozen == "g" else gen,
                model.discriminator_variables if frozen == "g" else model.generator_variables,
            )
        )
        moved = [
            v.path for v, c in zip(model.non_trainable_variables, changed(rest, model.non_trainable_variables)) if c
        ]
        assert all("seed_generator" in p for p in moved), moved  # normaliser, range, length untouched
        assert int(model.d_optimizer.iterations) == 20 and int(model.g_optimizer.iterations) == 40  # 2 G steps each
        if frozen == "g":  # against a fixed, untrained generator the discriminator wins: L_D ≪ log 4
            assert history.history["d_loss"][-1] < 1.0, history.history


def test_round_trips_and_sampling(tmp_path):
    real = make_sines(64, seed=0)
    model = make(output_activation="sigmoid", discriminator_output="step", static_noise_dim=3)
    model.fit(real, epochs=1, batch_size=32, verbose=0)
    samples = model.sample(7, seed=3)
    assert samples.shape == (7, 24, 5) and samples.dtype == np.float32
    assert model.sample(2, length=40, seed=3).shape == (2, 40, 5)
    np.testing.assert_array_equal(samples, model.sample(7, seed=3))
    assert not np.array_equal(samples, model.sample(7, seed=4))
    # sigmoid head: samples stay in the training data's range, in the original scale
    assert real.min() - 1e-4 <= samples.min() and samples.max() <= real.max() + 1e-4
    assert model.predict(real[:4], verbose=0).shape == (4, 24, 1)
    run_config_round_trip(model)
    loaded = run_saving_round_trip(model, real[:4], tmp_path)
    np.testing.assert_array_equal(loaded.sample(7, seed=3), samples)
    assert loaded.g_optimizer is not loaded.d_optimizer
    for name in ("g_optimizer", "d_optimizer"):  # both optimisers come back with their state
        before, after = getattr(model, name), getattr(loaded, name)
        assert after.get_config() == before.get_config() and int(after.iterations) in (2, 4)
        for a, b in zip(values(before.variables), values(after.variables), strict=True):
            np.testing.assert_array_equal(a, b)


def test_unequal_lengths_and_padding():
    series = [s[: 12 + i % 13] for i, s in enumerate(make_sines(40, seed=0))]
    model = make(discriminator_output="step")
    history = model.fit(series, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    scores = model.evaluate(series, batch_size=16, verbose=0, return_dict=True)
    assert sorted(scores) == ["d_loss", "g_loss"] and np.isfinite(list(scores.values())).all()
    assert model.sample(2).shape == (2, 24, 5)  # default length: the longest training series
    observed = np.ones((2, 6, 1), "float32")
    observed[0, :4] = 0.0  # a left-padded series
    fake = keras.ops.convert_to_numpy(model._fake_batch(keras.ops.convert_to_tensor(observed), training=False))
    assert (fake[0, :4] == 0).all() and (fake[0, 4:] != 0).all()


def test_errors():
    backbone = RNNBackbone(input_dim=5, cell="gru", hidden_dim=4)
    with pytest.raises(ValueError, match="`output_activation` must be one of"):
        RecurrentGAN(backbone, output_activation="relu")
    with pytest.raises(ValueError, match="`discriminator_output` must be one of"):
        RecurrentGAN(backbone, discriminator_output="pooled")
    with pytest.raises(ValueError, match="`moment_weight` must be a number >= 0, received -1"):
        RecurrentGAN(backbone, moment_weight=-1)
    with pytest.raises(ValueError, match="`noise_dim` must be a positive int, received 0"):
        RecurrentGAN(backbone, noise_dim=0)
    with pytest.raises(ValueError, match=r"input_dim \(3\) must equal noise_dim \+ static_noise_dim \(5 \+ 0\)"):
        RecurrentGAN(backbone, generator=RNNBackbone(input_dim=3, hidden_dim=4), noise_dim=5)
    with pytest.raises(ValueError, match="must be a feature backbone"):
        RecurrentGAN(RNNBackbone(vocabulary_size=10, hidden_dim=4))
    model = RecurrentGAN(backbone)
    with pytest.raises(ValueError, match="never adapted to training data.*pass `length=`"):
        model.sample(2)
    with pytest.raises(ValueError, match="pass `g_optimizer=` and `d_optimizer=`, not `optimizer=`"):
        model.compile(optimizer="adam")
    same = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different optimizer objects"):
        model.compile(g_optimizer=same, d_optimizer=same)
    model.compile()
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match=f"`n` must be a positive int, received {bad!r}"):
            model.sample(bad, length=5)
    with pytest.raises(ValueError, match="`length` must be a positive int, received 0"):
        model.sample(2, length=0)
    with pytest.raises(ValueError, match=r"`x\[0\]` has 3 channels: this model expects 5"):
        model.fit(np.zeros((4, 10, 3), "float32"), verbose=0)
    with pytest.raises(ValueError, match="builds its own targets"):
        model.fit(make_sines(4), np.zeros(4), verbose=0)
    with pytest.raises(ValueError, match="non-finite value"):
        model.fit(np.full((4, 10, 5), np.nan, "float32"), verbose=0)
