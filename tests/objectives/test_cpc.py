import keras
import numpy as np
import pytest

from rs3l_keras import CPC, RNNBackbone
from rs3l_keras.data.series import load_ucr, pad_series
from tests.helpers import run_config_round_trip, run_learns, run_saving_round_trip


def make(channels=1, **kwargs):
    model = CPC(RNNBackbone(input_dim=8, cell="gru", hidden_dim=16), channels=channels, **kwargs)
    model.compile()
    return model


def numpy_cpc_loss(latents, predictions, observed):
    """The InfoNCE of `CPC`, one anchor at a time."""
    latents, predictions = (np.asarray(keras.ops.convert_to_numpy(v), np.float64) for v in (latents, predictions))
    b, t, k_max, _ = predictions.shape
    losses = []
    for k in range(1, k_max + 1):
        for i in range(b):
            for s in range(t - k):
                if not (observed[i, s] and observed[i, s + k]):
                    continue
                p = predictions[i, s, k - 1]
                candidates = [latents[j, s + k] for j in range(b) if observed[j, s + k]]  # other series
                candidates += [latents[i, u] for u in range(t) if observed[i, u] and u != s + k]  # other steps
                scores = np.array([c @ p for c in candidates])
                losses.append(-(p @ latents[i, s + k] - np.log(np.exp(scores).sum())))
    return np.mean(losses)


def test_learns_on_gunpoint():
    x, _ = load_ucr("GunPoint", "train")
    model = make(prediction_steps=3, sequence_length=48)
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0))
    model.adapt(x)
    data = model.make_dataset(x, batch_size=16, shuffle=True, seed=0).repeat()
    first, last = run_learns(model, data, steps=30, min_drop=0.3)
    assert first == pytest.approx(np.log(16 + 48 - 1), abs=1.0)  # chance among B + T − 1 candidates


def test_loss_matches_numpy_on_variable_length_batch():
    x, _ = load_ucr("JapaneseVowels", "train")
    model = make(channels=12, prediction_steps=2)
    model.adapt(x)
    batch = pad_series([x[i] for i in (0, 5, 17, 40)])
    observed = ~np.isnan(batch).all(-1)
    assert not observed.all()  # the batch really holds padding
    out = model(batch)
    loss = float(model.compute_loss(x=batch, y_pred=out))
    assert loss == pytest.approx(numpy_cpc_loss(out["latents"], out["predictions"], observed), rel=1e-4)
    # Padded steps are never positives, negatives or anchors: their codes do not matter.
    noisy = {k: np.array(keras.ops.convert_to_numpy(v)) for k, v in out.items()}
    noisy["latents"][~observed] = 1e3
    noisy["predictions"][~observed] = -1e3
    assert float(model.compute_loss(x=batch, y_pred=noisy)) == pytest.approx(loss, rel=1e-5)


def test_variable_length_japanese_vowels_and_round_trips(tmp_path):
    x, _ = load_ucr("JapaneseVowels", "train")
    model = make(channels=12, prediction_steps=2)
    history = model.fit(x[:96], epochs=1, batch_size=32, verbose=0, seed=0)
    assert np.isfinite(history.history["loss"][0]) and 0 <= history.history["cpc_accuracy"][0] <= 1
    out = model.predict(x[:5], verbose=0)
    assert out["embedding"].shape == (5, 16) and out["predictions"].shape[2:] == (2, 8)
    encoded = model.encoder_model().predict(pad_series(x[:5]), verbose=0)
    np.testing.assert_allclose(encoded["pooled_output"], out["embedding"], rtol=1e-5, atol=1e-6)
    run_config_round_trip(model)
    run_saving_round_trip(model, pad_series(x[:4]), tmp_path)


def test_sequence_length_cuts_random_windows():
    x, _ = load_ucr("GunPoint", "train")
    model = make(sequence_length=32)
    first = next(iter(model.make_dataset(x[:8], batch_size=8))).numpy()
    assert first.shape == (8, 32, 1) and np.isfinite(first).all()
    assert any(np.array_equal(first[0, :, 0], x[0, s : s + 32, 0]) for s in range(150 - 31))
    again = next(iter(model.make_dataset(x[:8], batch_size=8))).numpy()
    np.testing.assert_array_equal(first, again)


def test_errors():
    backbone = RNNBackbone(input_dim=4, cell="gru", hidden_dim=4)
    with pytest.raises(ValueError, match="`prediction_steps` must be a positive int, received 0"):
        CPC(backbone, prediction_steps=0)
    with pytest.raises(ValueError, match="`prediction_steps` must be a positive int, received -2"):
        CPC(backbone, prediction_steps=-2)
    with pytest.raises(ValueError, match="`channels` must be a positive int, received 0"):
        CPC(backbone, channels=0)
    with pytest.raises(ValueError, match="`sequence_length` must be greater than prediction_steps=4, received 4"):
        CPC(backbone, sequence_length=4)
    with pytest.raises(ValueError, match="must have bidirectional=False"):
        CPC(RNNBackbone(input_dim=4, hidden_dim=4, bidirectional=True))
    model = make()
    motions, _ = load_ucr("BasicMotions", "train")
    with pytest.raises(ValueError, match=r"`x\[0\]` has 6 channels: this model expects 1"):
        model.fit(motions, epochs=1, verbose=0)
    x, _ = load_ucr("GunPoint", "train")
    with pytest.raises(ValueError, match="builds its own targets from `x`; received `y` too"):
        model.fit(x[:8], np.zeros(8), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`x\[1\]` has length 3: expected at least 5 time steps"):
        model.make_dataset([x[0], x[1, :3]])
    x = x[:8].copy()
    x[2, 7, 0] = np.nan
    with pytest.raises(ValueError, match=r"`x\[2\]` has a non-finite value nan at time 7"):
        model.make_dataset(x)
