"""The subword tokenizer: round trip on any text (byte fallback), special ids, pipeline use."""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from rs3l_keras.data.tokenizers import SPECIAL_TOKENS, UNK_ID, SentencePieceTokenizer, tokenizer_class


@pytest.fixture(scope="module")
def subword(shakespeare_train):
    return SentencePieceTokenizer.fit([shakespeare_train[:400_000]], max_tokens=1000)


def test_round_trip_on_real_text_and_fewer_tokens_than_chars(subword, shakespeare_test):
    sample = shakespeare_test[:5000]
    ids = subword.encode(sample)
    assert ids.dtype == np.int32 and subword.decode(ids) == sample
    assert len(ids) < len(sample) / 1.5  # subwords, not characters (1,000 pieces, 256 of them bytes)
    assert subword.vocabulary[: len(SPECIAL_TOKENS)] == list(SPECIAL_TOKENS)
    assert subword.vocabulary_size == 1000 and subword.level == "subword"
    assert tokenizer_class("subword") is SentencePieceTokenizer


def test_unseen_characters_fall_back_to_bytes_never_unk(subword):
    text = "Zoë → 東京 ☺ <mask>\ttab"
    ids = subword.encode(text)
    assert UNK_ID not in ids and subword.decode(ids) == text
    assert subword.encode(b"ab\xffcd").size > 0  # invalid UTF-8 is replaced, not fatal


def test_config_round_trip_and_tf_data(subword):
    clone = SentencePieceTokenizer.from_config(subword.get_config())
    assert clone == subword
    text = "But soft! What light through yonder window breaks?"
    mapped = tf.data.Dataset.from_tensors(tf.constant(text)).map(clone.tf_encode)
    np.testing.assert_array_equal(next(iter(mapped)).numpy(), subword.encode(text))


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"`max_tokens` must be an int ≥ 300"):
        SentencePieceTokenizer.fit(["some text"], max_tokens=100)
    with pytest.raises(ValueError, match="`model_type` must be"):
        SentencePieceTokenizer.fit(["some text"], model_type="wordpiece")
    with pytest.raises(ValueError, match="only empty strings"):
        SentencePieceTokenizer.fit(["", "\n"])
    with pytest.raises(TypeError, match="`model_proto` must be a base64 str"):
        SentencePieceTokenizer(b"abc")


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_round_trip_property(subword, text):
    assert subword.decode(subword.encode(text)) == text
