import keras
import numpy as np
import pytest

from rs3l_keras import RNNBackbone
from rs3l_keras.data.series import SeriesNormalization, normalization_layer
from rs3l_keras.objectives.contrastive import ContrastiveEncoder
from rs3l_keras.objectives.cpc import CPC


def test_per_series_z_scores_each_series_over_its_observed_steps_only():
    layer = SeriesNormalization(2, per_series=True)
    assert layer.is_adapted  # nothing to fit: ready before any `adapt`
    assert not SeriesNormalization(2).is_adapted
    layer.adapt([])  # nothing to fit
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, size=(4, 30, 2)).astype("float32") * np.array([1.0, 100.0], "float32")
    x[1, :12] = np.nan  # left padding
    out = keras.ops.convert_to_numpy(layer(x))
    assert np.all(out[1, :12] == 0)
    for i in range(4):
        observed = out[i, 12:] if i == 1 else out[i]
        np.testing.assert_allclose(observed.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(observed.std(0), 1, atol=1e-3)
    constant = keras.ops.convert_to_numpy(layer(np.full((1, 5, 2), 7.0, "float32")))
    assert np.all(constant == 0)
    with pytest.raises(ValueError, match="per_series=True"):
        layer.invert(out)


def test_normalization_is_saved_with_the_objective_and_checked():
    for model in (
        CPC(RNNBackbone(input_dim=8, cell="gru", hidden_dim=8), prediction_steps=2, normalization="per_series"),
        ContrastiveEncoder(RNNBackbone(input_dim=1, cell="gru", hidden_dim=8), normalization="per_series"),
    ):
        clone = model.__class__.from_config(model.get_config())
        assert clone.normalization == "per_series" and clone.normalizer.per_series
    with pytest.raises(ValueError, match="`normalization` must be one of \\['dataset', 'per_series'\\], received 'z'"):
        normalization_layer("z", 1)
    with pytest.raises(TypeError, match="`per_series` must be a bool, received 'yes'"):
        SeriesNormalization(1, per_series="yes")
