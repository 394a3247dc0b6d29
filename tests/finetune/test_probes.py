import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import RNNBackbone
from rs3l_keras.data import series as series_data
from rs3l_keras.finetune.probes import probe_features


@pytest.fixture(scope="module")
def gunpoint():
    return series_data.load_ucr("GunPoint", "train"), series_data.load_ucr("GunPoint", "test")


@pytest.fixture
def series_model(gunpoint):
    (x, _), _ = gunpoint
    model = rs3l.finetune(RNNBackbone(input_dim=1, hidden_dim=32), head="regression")
    model.normalizer.adapt(list(x))
    return model


@pytest.mark.parametrize(
    "pooling, dim", [("last", 32), ("mean", 32), ("max", 32), ("last+mean", 64), ("last+mean+max", 96)]
)
def test_embed_keeps_order_and_ignores_padding(series_model, gunpoint, pooling, dim):
    (x, _), _ = gunpoint
    series = [x[0, :40], x[1], x[2, :90], x[3, :10]]  # unequal lengths, sorted internally
    z = rs3l.embed(series_model, series, pooling=pooling, batch_size=2)
    assert z.shape == (4, dim)
    alone = np.concatenate([rs3l.embed(series_model, [s], pooling=pooling) for s in series])
    np.testing.assert_allclose(z, alone, rtol=1e-5, atol=1e-6)
    if pooling == "last+mean+max":  # the three blocks are the three single poolings
        parts = [rs3l.embed(series_model, series, pooling=p) for p in ("last", "mean", "max")]
        np.testing.assert_allclose(z, np.concatenate(parts, axis=-1), rtol=1e-6)


def test_embed_text_matches_the_backbone_state():
    lm = rs3l.load_pretrained("lstm-lm-small")
    texts = ["to be or not to be", "a", "what light through yonder window breaks"]
    z = rs3l.embed(lm, texts, pooling="last")
    assert z.shape == (3, 512)
    assert rs3l.embed(lm, texts).shape == (3, 3 * 512)  # the default: concat (last+mean+max) pooling
    ids = lm.encode_batch(texts[1:2])
    np.testing.assert_allclose(z[1], np.asarray(lm.backbone.predict_on_batch(ids)["pooled_output"])[0], atol=1e-6)


def test_input_layer_pooling_appends_the_mean_token_embedding():
    """`last+mean+max+embedding` (text only): concat pooling, then the mean of the input
    embeddings over the real tokens, whatever the padding of the batch."""
    lm = rs3l.load_pretrained("lstm-lm-english")
    texts = ["The committee met on Tuesday.", "Spam", "A longer sentence about the weather in the north."]
    z = rs3l.embed(lm, texts, pooling="last+mean+max+embedding", batch_size=2)
    np.testing.assert_allclose(z[:, : 3 * 512], rs3l.embed(lm, texts), rtol=1e-5, atol=1e-6)
    table = np.asarray(lm.backbone.token_embedding.embeddings.numpy())
    for row, text in zip(z, texts):
        np.testing.assert_allclose(row[3 * 512 :], table[lm.tokenizer.encode(text)].mean(0), rtol=1e-5, atol=1e-6)


def test_linear_probe_on_real_data_beats_the_majority_class(series_model, gunpoint):
    (x, y), (xt, yt) = gunpoint
    result = rs3l.linear_probe(series_model, (x, y), (xt, yt), pooling="last+mean")
    majority = max(np.mean(yt), 1 - np.mean(yt))
    assert result["accuracy"] > majority + 0.1, result  # random recurrent features are already useful
    assert result["num_train"] == 50 and result["num_test"] == 150 and result["dim"] == 64
    repeated = rs3l.linear_probe(series_model, (x, y), (xt, yt), pooling="last+mean", cv_repeats=3)
    assert repeated["accuracy"] > majority + 0.1, repeated


def test_default_probe_is_the_measured_protocol_and_can_run_without_a_test_split(series_model, gunpoint):
    (x, y), (xt, yt) = gunpoint
    result = rs3l.linear_probe(series_model, (x, y), (xt, yt))
    assert result["pooling"] == "last+mean+max" and result["cv_repeats"] == 5  # 50 < 500 training series
    assert result["dim"] == 3 * 32 and 0.5 < result["cv_accuracy"] <= 1.0
    cv_only = rs3l.linear_probe(series_model, (x, y))
    assert cv_only["accuracy"] is None and cv_only["cv_accuracy"] == result["cv_accuracy"]
    big = probe_features(np.random.default_rng(0).normal(size=(2400, 4)), np.arange(2400) % 2)
    assert big["cv_repeats"] == 1 and big["num_train"] == 2400  # one split above 500; C searched on 2,000


def test_a_univariate_encoder_embeds_each_channel_of_multivariate_series(series_model, gunpoint):
    (x, _), _ = gunpoint
    two = np.concatenate([x[:6], 2 * x[:6] + 1], axis=2)  # (6, 150, 2)
    z = rs3l.embed(series_model, two, pooling="last")
    np.testing.assert_allclose(z[:, :32], rs3l.embed(series_model, x[:6], pooling="last"), atol=1e-5)
    np.testing.assert_allclose(z[:, 32:], rs3l.embed(series_model, 2 * x[:6] + 1, pooling="last"), atol=1e-5)


def test_a_list_of_models_embeds_side_by_side(series_model, gunpoint):
    (x, y), (xt, yt) = gunpoint
    other = rs3l.finetune(RNNBackbone(input_dim=1, cell="gru", hidden_dim=16), head="regression")
    other.normalizer.adapt(list(x))
    z = rs3l.embed([series_model, other], x[:7], pooling="last+mean")
    np.testing.assert_array_equal(
        z,
        np.concatenate(
            [rs3l.embed(series_model, x[:7], pooling="last+mean"), rs3l.embed(other, x[:7], pooling="last+mean")],
            axis=1,
        ),
    )
    assert rs3l.linear_probe([series_model, other], (x, y), (xt, yt), pooling="last")["dim"] == 48
    with pytest.raises(ValueError, match="`model` is an empty list"):
        rs3l.embed([], x)


def test_cluster_returns_labels_and_components(series_model, gunpoint):
    (x, y), _ = gunpoint
    labels, pcs = rs3l.cluster(series_model, x, k=2)
    assert labels.shape == (50,) and set(labels) == {0, 1} and pcs.shape == (50, 2)
    with pytest.raises(ValueError, match="`k` is 99 but `x` holds only 50 sequences"):
        rs3l.cluster(series_model, x, k=99)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m, x: rs3l.embed(m, x, pooling="sum"), ValueError, "`pooling` must be one of"),
        (lambda m, x: rs3l.embed(m, x, pooling="last+mean+max+embedding"), ValueError, "text models only"),
        (
            lambda m, x: rs3l.embed(m, x[:, :, 0]),
            ValueError,
            r"rank 3 \(n, time, channels\), received shape \(50, 150\)",
        ),
        (lambda m, x: rs3l.embed(m, []), ValueError, r"`x` is empty \(0 series\)"),
        (lambda m, x: rs3l.embed(m, [x[0, :0]]), ValueError, r"`x\[0\]` has length 0"),
        (lambda m, x: rs3l.embed(m, x, batch_size=0), ValueError, "`batch_size` must be a positive int"),
        (lambda m, x: rs3l.linear_probe(m, (x, [0, 1]), (x, [0] * 50)), ValueError, "one label per input"),
        (lambda m, x: rs3l.embed(object(), x), TypeError, "with a backbone or a preset name"),
        (
            lambda m, x: rs3l.linear_probe(m, (x, [0] * 50), (x, [0] * 50), cv_repeats=0),
            ValueError,
            "`cv_repeats` must be a positive int",
        ),
    ],
)
def test_bad_inputs(series_model, gunpoint, call, error, match):
    (x, _), _ = gunpoint
    with pytest.raises(error, match=match):
        call(series_model, x)
