import keras
import numpy as np
import pytest
import tensorflow as tf

from rs3l_keras import MaskedLanguageModel, RNNBackbone
from rs3l_keras.data import masking
from rs3l_keras.data.tokenizers import MASK_ID, SPECIAL_TOKENS
from tests.helpers import run_config_round_trip, run_learns, run_saving_round_trip


@pytest.fixture
def mlm(char_tokenizer):
    backbone = RNNBackbone(char_tokenizer.vocabulary_size, hidden_dim=32, embedding_dim=16, bidirectional=True)
    model = MaskedLanguageModel(backbone, char_tokenizer, sequence_length=64)
    model.compile()
    return model


def test_bert_corruption_rates_on_real_text(char_tokenizer, shakespeare_test):
    ids = tf.constant(char_tokenizer.encode(shakespeare_test[:200_000])[: 3000 * 64].reshape(3000, 64))
    corrupted, targets, weights = (t.numpy() for t in masking.bert_corrupt(ids, [7, 0], char_tokenizer.vocabulary_size))
    selected = weights > 0
    assert 0.14 < selected.mean() < 0.16
    assert (corrupted[~selected] == targets[~selected]).all()  # only selected positions change
    as_mask = (corrupted == MASK_ID)[selected].mean()
    unchanged = (corrupted == targets)[selected].mean()
    assert 0.78 < as_mask < 0.82 and 0.09 < unchanged < 0.12  # 10% kept + random hits of itself
    assert (corrupted[selected & (corrupted != MASK_ID)] >= len(SPECIAL_TOKENS)).all()


def test_corruption_differs_each_epoch_and_replays_with_the_seed(char_tokenizer, shakespeare_test):
    text = shakespeare_test[:20_000]
    epoch = tf.Variable(0, dtype=tf.int64)

    def first_batch(seed):
        ds = masking.mlm_dataset(text, char_tokenizer, 32, batch_size=8, shuffle=True, seed=seed, epoch=epoch)
        return [t.numpy() for t in next(iter(ds))]

    a = first_batch(1)
    np.testing.assert_array_equal(a[0], first_batch(1)[0])
    epoch.assign(1)
    b = first_batch(1)
    assert not np.array_equal(a[2], b[2])
    epoch.assign(0)
    np.testing.assert_array_equal(first_batch(1)[2], a[2])


def test_special_tokens_are_never_selected(char_tokenizer):
    ids = tf.constant(np.array([[0, 0, 2, 3, 1] * 20], "int32"))
    _, _, weights = masking.bert_corrupt(ids, [0, 0], char_tokenizer.vocabulary_size)
    assert float(tf.reduce_sum(weights)) == 0.0


def test_learns_on_real_shakespeare(char_tokenizer, shakespeare_train):
    backbone = RNNBackbone(char_tokenizer.vocabulary_size, hidden_dim=96, embedding_dim=32, bidirectional=True)
    model = MaskedLanguageModel(backbone, char_tokenizer, sequence_length=64)
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0))
    first, last = run_learns(model, shakespeare_train[:300_000], steps=40, batch_size=32, min_drop=1.0)
    assert first > 4.0


def test_loss_is_mean_over_selected_positions_only(mlm, char_tokenizer):
    ids = char_tokenizer.encode("To be, or not to be: that is the question")[None]
    logits = mlm.predict_on_batch(ids)
    weights = np.zeros(ids.shape, "float32")
    weights[0, [3, 9]] = 1.0
    loss = float(mlm.compute_loss(y=ids, y_pred=logits, sample_weight=weights))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.mean([logp[0, t, ids[0, t]] for t in (3, 9)])
    assert loss == pytest.approx(expected, rel=1e-5)


def test_round_trips_and_inputs(mlm, char_tokenizer, shakespeare_test, tmp_path):
    text = shakespeare_test[:8000]
    for x in (text, text.split("\n\n"), char_tokenizer.encode(text)):
        history = mlm.fit(x, epochs=1, batch_size=16, verbose=0)
        assert np.isfinite(history.history["loss"][0]) and 0 <= history.history["masked_accuracy"][0] <= 1
    run_config_round_trip(mlm)
    loaded = run_saving_round_trip(mlm, char_tokenizer.encode("HAMLET\nTo be")[None], tmp_path)
    assert loaded.compiled and loaded.mask_rate == 0.15
    held_out = mlm.evaluate(text, return_dict=True, verbose=0)
    assert held_out == mlm.evaluate(text, return_dict=True, verbose=0)  # fixed eval corruption
    filled = mlm.fill_mask("To be, or n<mask>t to be")
    assert len(filled) == len("To be, or not to be") and filled.startswith("To be, or n")


def test_construction_errors(char_tokenizer):
    with pytest.raises(ValueError, match="bidirectional=True"):
        MaskedLanguageModel(RNNBackbone(char_tokenizer.vocabulary_size, hidden_dim=4))
    with pytest.raises(ValueError, match=r"`mask_rate` must be in \(0, 1\), received 0"):
        MaskedLanguageModel(RNNBackbone(10, hidden_dim=4, bidirectional=True), mask_rate=0)
    mlm = MaskedLanguageModel(
        RNNBackbone(char_tokenizer.vocabulary_size, hidden_dim=4, bidirectional=True), char_tokenizer
    )
    with pytest.raises(ValueError, match="must be a str containing '<mask>'"):
        mlm.fill_mask("no mask here")


def test_predict_on_raw_strings_and_tf_data(mlm, char_tokenizer):
    logits = mlm.predict(["To be", "or not"], verbose=0)
    assert logits.shape == (2, 6, char_tokenizer.vocabulary_size)
    ds = tf.data.Dataset.from_tensor_slices(char_tokenizer.encode("To be, or not to be")[:16].reshape(2, 8)).batch(2)
    assert mlm.predict(ds, verbose=0).shape == (2, 8, char_tokenizer.vocabulary_size)
