import keras
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import ContrastiveEncoder, RNNBackbone
from rs3l_keras.data import augment
from rs3l_keras.data.series import lengths_of, load_ucr
from tests.helpers import run_config_round_trip, run_learns, run_saving_round_trip


def make(channels=1, **kwargs):
    model = ContrastiveEncoder(RNNBackbone(input_dim=channels, cell="gru", hidden_dim=16), projection_dim=8, **kwargs)
    model.compile()
    return model


def numpy_nt_xent(z, tau):
    z = np.asarray(keras.ops.convert_to_numpy(z), np.float64)
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n = len(z) // 2
    sim = z @ z.T / tau
    losses = []
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        others = [k for k in range(2 * n) if k != i]
        losses.append(-(sim[i, j] - np.log(np.exp(sim[i, others]).sum())))
    return np.mean(losses)


def test_learns_on_gunpoint():
    x, _ = load_ucr("GunPoint", "train")
    model = make(pooling="mean")
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0))
    model.adapt(x)
    data = model.make_dataset(x, batch_size=16, shuffle=True, seed=0).repeat()
    first, last = run_learns(model, data, steps=30, min_drop=0.5)
    assert first > np.log(31) - 1  # near chance among 2·16 − 1 candidates


def test_loss_matches_numpy_nt_xent():
    x, _ = load_ucr("ItalyPowerDemand", "train")
    model = make(temperature=0.5)
    model.adapt(x)
    views = model.views(x[:6], seed=0)
    assert views.shape[0] == 12
    out = model(views)
    loss = float(model.compute_loss(x=views, y_pred=out))
    assert loss == pytest.approx(numpy_nt_xent(out["projection"], 0.5), rel=1e-5)
    # Identical views make the positive the nearest candidate: a lower loss than two augmentations.
    same = np.concatenate([x[:6], x[:6]])
    assert float(model.compute_loss(x=same, y_pred=model(same))) < loss


def test_views_in_the_pipeline_pair_rows_i_and_i_plus_n():
    x, _ = load_ucr("GunPoint", "train")
    model = make(augmentation=augment.Jitter(0.01))
    batches = list(model.make_dataset(x[:10], batch_size=4))
    assert [b.shape[0] for b in batches] == [8, 8, 4]
    first = batches[0].numpy()
    np.testing.assert_allclose(first[:4], x[:4], atol=0.1)  # unshuffled, view 1 of series 0..3
    np.testing.assert_allclose(first[4:], x[:4], atol=0.1)  # view 2 of the same series
    assert not np.array_equal(first[:4], first[4:])
    again = list(model.make_dataset(x[:10], batch_size=4))[0].numpy()
    np.testing.assert_array_equal(first, again)  # seeded


def test_variable_length_japanese_vowels_and_round_trips(tmp_path):
    x, _ = load_ucr("JapaneseVowels", "train")
    model = make(channels=12, pooling="last_mean")
    history = model.fit(x[:96], epochs=1, batch_size=32, verbose=0, seed=0)
    assert np.isfinite(history.history["loss"][0])
    out = model.predict(x[:5], verbose=0)
    assert out["embedding"].shape == (5, 32) and out["projection"].shape == (5, 8)
    assert rs3l.embed(model, x[:5], pooling="last+mean").shape == (5, 32)
    batch = model.views(x[:4], seed=0)
    assert (lengths_of(batch) <= max(len(s) for s in x[:4])).all()
    run_config_round_trip(model)
    run_saving_round_trip(model, batch, tmp_path)


def test_errors():
    backbone = RNNBackbone(input_dim=1, cell="gru", hidden_dim=4)
    with pytest.raises(ValueError, match="`temperature` must be a number > 0, received 0"):
        ContrastiveEncoder(backbone, temperature=0)
    with pytest.raises(ValueError, match="`temperature` must be a number > 0, received -0.1"):
        ContrastiveEncoder(backbone, temperature=-0.1)
    with pytest.raises(ValueError, match="`projection_dim` must be a positive int, received 0"):
        ContrastiveEncoder(backbone, projection_dim=0)
    with pytest.raises(ValueError, match="`pooling` must be one of"):
        ContrastiveEncoder(backbone, pooling="max")
    with pytest.raises(TypeError, match="`augmentation` must be an rs3l_keras.data.augment.Augmentation"):
        ContrastiveEncoder(backbone, augmentation=lambda x: x)
    with pytest.raises(ValueError, match="must be a feature backbone"):
        ContrastiveEncoder(RNNBackbone(vocabulary_size=10, hidden_dim=4))
    model = make()
    motions, _ = load_ucr("BasicMotions", "train")
    with pytest.raises(ValueError, match=r"`x\[0\]` has 6 channels: this model expects 1"):
        model.fit(motions, epochs=1, verbose=0)
    x, _ = load_ucr("GunPoint", "train")
    with pytest.raises(ValueError, match="builds its own targets from `x`; received `y` too"):
        model.fit(x[:8], np.zeros(8), epochs=1, verbose=0)
    x = x[:8].copy()
    x[3, 10, 0] = np.nan
    with pytest.raises(ValueError, match=r"`x\[3\]` has a non-finite value nan at time 10"):
        model.predict(x, verbose=0)
    with pytest.raises(ValueError, match=r"`x\[3\]` has a non-finite value nan at time 10"):
        model.make_dataset(x)
    with pytest.raises(ValueError, match="NT-Xent needs at least 2"):
        model.make_dataset(x[:1])
