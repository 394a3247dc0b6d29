import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from rs3l_keras.data.tokenizers import (
    BOS_ID,
    PAD_ID,
    SPECIAL_TOKENS,
    UNK_ID,
    CharTokenizer,
    WordTokenizer,
    tokenizer_class,
)


def test_char_round_trip_on_real_text(char_tokenizer, shakespeare_test):
    sample = shakespeare_test[:5000]
    ids = char_tokenizer.encode(sample)
    assert ids.dtype == np.int32 and len(ids) == len(sample)
    assert char_tokenizer.decode(ids) == sample
    assert char_tokenizer.vocabulary[: len(SPECIAL_TOKENS)] == list(SPECIAL_TOKENS)


def test_unknown_symbols_map_to_oov_never_crash(char_tokenizer):
    ids = char_tokenizer.encode("a\u263a€b")
    assert ids[1] == UNK_ID and ids[2] == UNK_ID
    assert char_tokenizer.decode(ids) == "a\ufffd\ufffdb"


def test_invalid_utf8_bytes_are_replaced_not_fatal(char_tokenizer):
    ids = char_tokenizer.encode(b"ab\xff\xfecd")
    assert list(ids[:2]) == list(char_tokenizer.encode("ab"))
    assert UNK_ID in ids


def test_word_tokenizer():
    tok = WordTokenizer.fit(["To be, or not to be: that is the question."], lowercase=True)
    assert tok.decode(tok.encode("To be, or NOT")) == "to be , or not"
    assert tok.encode("Hamlet")[0] == UNK_ID
    assert tok.level == "word" and tok.vocabulary_size == len(tok.vocabulary)


def test_max_tokens_keeps_most_frequent():
    tok = CharTokenizer.fit("aaaabbbc", max_tokens=len(SPECIAL_TOKENS) + 2)
    assert tok.vocabulary[len(SPECIAL_TOKENS) :] == ["a", "b"]
    assert tok.encode("c")[0] == UNK_ID


def test_tf_encode_matches_python(char_tokenizer):
    text = "ROMEO.\nBut soft! What light through yonder window breaks? \u263a"
    # first use inside a traced tf.data function, then eagerly: the lookup table must serve both
    fresh = CharTokenizer.from_config(char_tokenizer.get_config())
    mapped = tf.data.Dataset.from_tensors(tf.constant(text)).map(fresh.tf_encode)
    np.testing.assert_array_equal(next(iter(mapped)).numpy(), fresh.encode(text))
    np.testing.assert_array_equal(fresh.tf_encode(tf.constant(text)).numpy(), fresh.encode(text))
    np.testing.assert_array_equal(char_tokenizer.tf_encode(tf.constant(text)).numpy(), char_tokenizer.encode(text))
    word = WordTokenizer.fit([text])
    np.testing.assert_array_equal(word.tf_encode(tf.constant(text)).numpy(), word.encode(text))


def test_config_round_trip(char_tokenizer):
    clone = CharTokenizer.from_config(char_tokenizer.get_config())
    assert clone == char_tokenizer


def test_decode_rejects_out_of_range_and_skips_specials(char_tokenizer):
    ids = np.concatenate([[BOS_ID], char_tokenizer.encode("hi"), [PAD_ID]])
    assert char_tokenizer.decode(ids) == "hi"
    with pytest.raises(ValueError, match=r"must lie in \[0, "):
        char_tokenizer.decode([char_tokenizer.vocabulary_size])
    with pytest.raises(ValueError, match="must lie in"):
        char_tokenizer.decode([-1])


@pytest.mark.parametrize(
    "vocabulary, error, match",
    [
        ("abc", TypeError, "must be a list of str"),
        (["a", "a"], ValueError, "duplicate"),
        (["a", ""], ValueError, "non-empty str"),
        (["a", 3], ValueError, "non-empty str"),
    ],
)
def test_bad_vocabulary(vocabulary, error, match):
    with pytest.raises(error, match=match):
        CharTokenizer(vocabulary)


def test_bad_level_and_input_type():
    with pytest.raises(ValueError, match="`tokenizer` must be one of"):
        tokenizer_class("bpe")
    with pytest.raises(TypeError, match="`text` must be a str"):
        CharTokenizer(["a"]).encode(12)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_char_round_trip_property(text):
    tok = CharTokenizer.fit(text) if text else CharTokenizer(list(SPECIAL_TOKENS))
    assert tok.decode(tok.encode(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_encode_never_crashes_on_unseen_text(train, other):
    tok = CharTokenizer.fit(train) if train else CharTokenizer(list(SPECIAL_TOKENS))
    ids = tok.encode(other)
    assert len(ids) == len(other)
    assert ((ids >= 0) & (ids < tok.vocabulary_size)).all()
