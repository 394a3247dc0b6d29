import keras
import numpy as np
import pytest

from rs3l_keras import KLAnnealing, RNNBackbone, SequenceVAE
from rs3l_keras.data import noise
from rs3l_keras.data.tokenizers import UNK_ID
from rs3l_keras.objectives.sequence_vae import TokenDropout
from tests.helpers import run_config_round_trip, run_learns, run_saving_round_trip


@pytest.fixture
def lines(shakespeare_train):
    return noise.text_lines(shakespeare_train[:200_000])


def make(char_tokenizer, **kwargs):
    encoder = RNNBackbone(char_tokenizer.vocabulary_size, hidden_dim=32, embedding_dim=16)
    model = SequenceVAE(encoder, char_tokenizer, latent_dim=8, sequence_length=48, **kwargs)
    model.compile()
    return model


def test_learns_on_real_lines_and_tracks_its_terms(char_tokenizer, lines):
    model = make(char_tokenizer)
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0))
    history = {}
    first, last = run_learns(
        model,
        lines,
        steps=40,
        batch_size=32,
        min_drop=15.0,
        callbacks=[KLAnnealing(20), keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: history.update(logs))],
    )
    assert first > 100  # nats per line at chance: ~31 chars × ln(87)
    assert {"loss", "reconstruction", "kl"} <= set(history)
    assert history["loss"] == pytest.approx(history["reconstruction"] + history["kl"], rel=0.05)


def test_loss_is_reconstruction_plus_weighted_kl_with_free_bits(char_tokenizer, lines):
    model = make(char_tokenizer, free_bits=0.5)
    x, y = next(iter(model.make_dataset(lines[:8], batch_size=8)))
    out = model(x)
    model.kl_weight.assign(0.25)
    loss = float(model.compute_loss(y=y, y_pred=out))
    logits, mu, logvar = (
        np.asarray(keras.ops.convert_to_numpy(out[k]), np.float64) for k in ("logits", "z_mean", "z_log_var")
    )
    y = y.numpy()
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, y[..., None], -1)[..., 0] * (y > 0)
    kl_dims = 0.5 * (mu**2 + np.exp(logvar) - 1 - logvar)
    expected = nll.sum(1).mean() + 0.25 * np.maximum(kl_dims.mean(0), 0.5).sum()
    assert loss == pytest.approx(expected, rel=1e-4)


def test_kl_annealing_schedules():
    linear, sigmoid = KLAnnealing(100, "linear"), KLAnnealing(100, "sigmoid")
    assert [linear.weight(s) for s in (0, 50, 100, 500)] == [0.0, 0.5, 1.0, 1.0]
    assert sigmoid.weight(0) < 0.01 and sigmoid.weight(50) == pytest.approx(0.5) and sigmoid.weight(100) > 0.99
    assert KLAnnealing(10, "constant").weight(0) == 1.0
    with pytest.raises(ValueError, match="`schedule` must be one of"):
        KLAnnealing(10, "cyclic")


def test_token_dropout_only_when_training():
    ids = np.array([[2, 10, 11, 12, 13, 0, 0]] * 200, "int32")
    layer = TokenDropout(0.5, seed=1)
    np.testing.assert_array_equal(layer(ids, training=False), ids)
    dropped = np.asarray(layer(ids, training=True))
    assert (dropped[:, 0] == 2).all() and (dropped[:, 5:] == 0).all()
    assert 0.4 < (dropped[:, 1:5] == UNK_ID).mean() < 0.6


def test_latent_api_and_round_trips(char_tokenizer, lines, tmp_path):
    model = make(char_tokenizer)
    model.fit(lines[:300], epochs=1, batch_size=32, verbose=0, callbacks=[KLAnnealing(5)])
    z = model.encode(["To be, or not to be", "Ay me"])
    assert z.shape == (2, 8)
    samples = model.sample(3, seed=0)
    assert len(samples) == 3 and samples == model.sample(3, seed=0)
    path = model.interpolate("To be, or not to be", "Ay me", steps=4)
    assert len(path) == 4 and path[0] == model.decode(z[:1])[0] and path[-1] == model.decode(z[1:])[0]
    run_config_round_trip(model)
    x, _ = next(iter(model.make_dataset(lines[:4], batch_size=4)))
    loaded = run_saving_round_trip(model, {k: v.numpy() for k, v in x.items()}, tmp_path)
    assert loaded.sample(2, seed=5) == model.sample(2, seed=5)


def test_errors(char_tokenizer):
    encoder = RNNBackbone(char_tokenizer.vocabulary_size, hidden_dim=4)
    with pytest.raises(ValueError, match="`latent_dim` must be a positive int, received 0"):
        SequenceVAE(encoder, latent_dim=0)
    with pytest.raises(ValueError, match="`free_bits` must be a number >= 0"):
        SequenceVAE(encoder, free_bits=-1)
    model = SequenceVAE(encoder, char_tokenizer, latent_dim=4)
    with pytest.raises(ValueError, match=r"`z` must have shape \(n, 4\)"):
        model.decode(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="`n` must be a positive int, received 0"):
        model.sample(0)
    with pytest.raises(ValueError, match="`steps` must be an int >= 2"):
        model.interpolate("a", "b", steps=1)


def test_predict_on_raw_strings_and_tf_data(char_tokenizer, lines):
    import tensorflow as tf

    model = make(char_tokenizer)
    out = model.predict(["To be", "or not"], verbose=0)
    assert out["logits"].shape == (2, 7, char_tokenizer.vocabulary_size) and out["z_mean"].shape == (2, 8)
    np.testing.assert_allclose(out["z_mean"], model.encode(["To be", "or not"]), rtol=1e-5, atol=1e-6)
    x, _ = next(iter(model.make_dataset(lines[:8], batch_size=8)))
    assert model.predict(tf.data.Dataset.from_tensors(x), verbose=0)["z_mean"].shape == (8, 8)
