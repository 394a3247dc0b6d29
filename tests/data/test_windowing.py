import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from rs3l_keras.data import windowing
from rs3l_keras.data.tokenizers import CharTokenizer


def test_lm_windows_shift_by_one():
    ids = np.arange(1, 22, dtype="int32")
    w = windowing.lm_windows(ids, 5)
    assert w.shape == (4, 6)
    np.testing.assert_array_equal(w[1], np.arange(6, 12))
    targets = np.concatenate([row[1:] for row in w])
    np.testing.assert_array_equal(targets, ids[1:21])  # every token but the first, once


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 400), st.integers(1, 64), st.integers(0, 63))
def test_scoring_windows_score_every_target_once(n, window, context):
    context = min(context, window - 1)
    ids = np.random.randint(5, 50, n).astype("int32")
    inputs, targets, weights = windowing.scoring_windows(ids, window, context)
    assert inputs.shape == targets.shape == weights.shape
    assert weights.sum() == n - 1
    np.testing.assert_array_equal(np.sort(targets[weights > 0]), np.sort(ids[1:]))
    np.testing.assert_array_equal(inputs[:, 1:], targets[:, :-1])


def test_lm_dataset_from_strings_ids_and_tf_data():
    tok = CharTokenizer.fit("abcdefgh ")
    text = "abc defgh " * 40
    for x in (
        text,
        [text[:200], text[200:]],
        tok.encode(text),
        tf.data.Dataset.from_tensor_slices([text[:200], text[200:]]),
        tf.data.Dataset.from_tensor_slices(tok.encode(text)[:400].reshape(4, 100)),
    ):
        ds = windowing.lm_dataset(x, tok, sequence_length=16, batch_size=4, shuffle=False)
        inputs, targets = next(iter(ds))
        assert inputs.shape == (4, 16) and targets.shape == (4, 16)
        np.testing.assert_array_equal(inputs.numpy()[:, 1:], targets.numpy()[:, :-1])


@pytest.mark.parametrize(
    "x, match",
    [
        ("", "must contain some text"),
        ([], "`x` is empty"),
        (np.zeros((0,), "int32"), "`x` is empty"),
        (np.array([1.5, 2.5]), "integer token ids"),
        (np.array([1, 2, 99]), r"must lie in \[0, 12\)"),
        (np.array([-1, 2, 3]), r"must lie in \[0, 12\)"),
        (np.ones((2, 3, 4), "int32"), "received shape"),
        ("ab", "at least 9 are needed for one window"),
    ],
)
def test_bad_inputs_are_named(x, match):
    tok = CharTokenizer.fit("abcdefg")
    with pytest.raises(ValueError, match=match):
        windowing.lm_dataset(x, tok, sequence_length=8)


def test_bad_sizes():
    tok = CharTokenizer.fit("abc")
    with pytest.raises(ValueError, match="`batch_size` must be a positive int, received 0"):
        windowing.lm_dataset("abc" * 10, tok, sequence_length=4, batch_size=0)
    with pytest.raises(ValueError, match="`sequence_length` must be a positive int"):
        windowing.lm_windows(np.arange(10), -1)


def test_shuffle_order_is_a_function_of_seed_and_epoch():
    rows = np.arange(40, dtype="int32").reshape(20, 2)
    epoch = tf.Variable(0, dtype=tf.int64)
    ds = windowing.shuffled_batches(rows, 6, seed=3, epoch=epoch)
    assert ds.cardinality() == 4

    def order():
        return np.concatenate([b.numpy()[:, 0] for b in ds])

    first, again = order(), order()
    np.testing.assert_array_equal(first, again)  # a new iterator alone does not reshuffle
    assert sorted(first) == list(range(0, 40, 2))
    epoch.assign(1)
    second = order()
    assert not np.array_equal(first, second)
    epoch.assign(0)
    np.testing.assert_array_equal(order(), first)
