import numpy as np
import pytest

from rs3l_keras.data.series import make_sines
from rs3l_keras.evaluation import discriminative_score, predictive_score


def test_discriminative_score_tells_time_shuffled_sines_from_real_ones():
    real, other = make_sines(600, seed=0), make_sines(600, seed=1)
    rng = np.random.default_rng(0)
    shuffled = np.stack([s[rng.permutation(len(s))] for s in other])  # same values, no dynamics
    same = discriminative_score(real, other, hidden_dim=8, iterations=300, seed=0)
    apart = discriminative_score(real, shuffled, hidden_dim=8, iterations=300, seed=0)
    assert same["score"] < 0.1 and apart["score"] > 0.25, (same, apart)
    assert apart["score"] == pytest.approx(abs(apart["accuracy"] - 0.5))
    assert apart["accuracy"] == pytest.approx((apart["real_accuracy"] + apart["synthetic_accuracy"]) / 2)


def test_predictive_score_prefers_real_training_data():
    real, test = make_sines(600, seed=0), make_sines(300, seed=1)
    noise = np.random.default_rng(0).uniform(0, 1, real.shape).astype("float32")
    on_real = predictive_score(real, test, hidden_dim=4, iterations=300, seed=0)["score"]
    on_noise = predictive_score(noise, test, hidden_dim=4, iterations=300, seed=0)["score"]
    assert on_real < 0.15 and on_noise > on_real + 0.05, (on_real, on_noise)


def test_errors():
    sines = make_sines(20, seed=0)
    with pytest.raises(ValueError, match="`synthetic` has length 12 but `real` has 24"):
        discriminative_score(sines, sines[:, :12])
    with pytest.raises(ValueError, match=r"`synthetic\[0\]` has 3 channels: this model expects 5"):
        discriminative_score(sines, sines[..., :3])
    with pytest.raises(ValueError, match="at least 5 series of each kind"):
        discriminative_score(sines[:4], sines)
    with pytest.raises(ValueError, match="lengths \\[10, 24\\].*one common length"):
        discriminative_score([sines[0], sines[1][:10]] * 3, sines)
    with pytest.raises(ValueError, match="needs at least 2"):
        predictive_score(sines[..., :1], sines[..., :1])
    with pytest.raises(ValueError, match="`iterations` must be a positive int, received 0"):
        predictive_score(sines, sines, iterations=0)
