"""Character- and word-level tokenizers whose vocabulary travels with the model.

Tokenisation runs in the input pipeline (Python or a `tf.data` map), never inside the
compiled graph, so one model runs on the TensorFlow, JAX and PyTorch backends alike.
"""

import abc
import collections
import re

import keras
import numpy as np

from rs3l_keras.validation import check_int, check_one_of

#: Reserved ids shared by every objective: padding, out-of-vocabulary, sequence start and
#: end (seq2seq, VAE) and the mask token (masked LM). Their ids never change.
SPECIAL_TOKENS = ("<pad>", "<unk>", "<bos>", "<eos>", "<mask>")
PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID = range(len(SPECIAL_TOKENS))

_WORD_RE = re.compile(r"\w+|[^\w\s]")


def _as_text(text, argument="text"):
    """Returns `text` as `str`; bytes are decoded as UTF-8 with invalid bytes replaced."""
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray, np.bytes_)):
        return bytes(text).decode("utf-8", errors="replace")
    raise TypeError(f"`{argument}` must be a str (or UTF-8 bytes), received {type(text).__name__}: {text!r:.80}")


class Tokenizer(abc.ABC):
    """Base class: maps text to int32 ids over a fixed vocabulary.

    The first ids are always `SPECIAL_TOKENS`; any symbol not in the vocabulary maps to
    `<unk>` (id 1) instead of raising.

    Args:
        vocabulary: list of str. Tokens by id. The special tokens are prepended when
            missing.
        lowercase: bool, default False. Lowercase text before splitting.
    """

    level = None

    def __init__(self, vocabulary, lowercase=False):
        if isinstance(vocabulary, str) or not isinstance(vocabulary, (list, tuple)):
            raise TypeError(f"`vocabulary` must be a list of str tokens, received {type(vocabulary).__name__}.")
        vocabulary = list(vocabulary)
        bad = [t for t in vocabulary if not isinstance(t, str) or t == ""]
        if bad:
            raise ValueError(f"`vocabulary` must contain non-empty str tokens only, received {bad[:5]!r}.")
        if tuple(vocabulary[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            vocabulary = list(SPECIAL_TOKENS) + [t for t in vocabulary if t not in SPECIAL_TOKENS]
        duplicates = [t for t, n in collections.Counter(vocabulary).items() if n > 1]
        if duplicates:
            raise ValueError(f"`vocabulary` has duplicate tokens: {duplicates[:5]!r}.")
        self.vocabulary = vocabulary
        self.lowercase = bool(lowercase)
        self._index = {token: i for i, token in enumerate(vocabulary)}
        self._table = None

    # -- construction -----------------------------------------------------------------
    @classmethod
    def fit(cls, texts, max_tokens=None, min_count=1, **kwargs):
        """Builds a tokenizer whose vocabulary is the symbols of `texts`, most frequent first.

        Args:
            texts: str or iterable of str.
            max_tokens: int or None. Cap on the vocabulary size, special tokens included.
            min_count: int, default 1. Drop symbols seen fewer times.
        """
        if isinstance(texts, (str, bytes)):
            texts = [texts]
        probe = cls(list(SPECIAL_TOKENS), **kwargs)
        counts = collections.Counter()
        for text in texts:
            counts.update(probe.split(_as_text(text, "texts")))
        if max_tokens is not None:
            check_int(
                max_tokens,
                "max_tokens",
                len(SPECIAL_TOKENS) + 1,
                expected=f"an int > {len(SPECIAL_TOKENS)} (the special tokens)",
            )
        symbols = sorted((t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
        if max_tokens is not None:
            symbols = symbols[: max_tokens - len(SPECIAL_TOKENS)]
        return cls(list(SPECIAL_TOKENS) + symbols, **kwargs)

    # -- the mapping ------------------------------------------------------------------
    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    pad_id, unk_id, bos_id, eos_id, mask_id = PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID

    @abc.abstractmethod
    def split(self, text):
        """Splits text into token strings (no id lookup)."""

    @abc.abstractmethod
    def join(self, tokens):
        """Token strings → text."""

    def encode(self, text):
        """Text → int32 ids of shape (num_tokens,). Unknown symbols → `<unk>`."""
        text = _as_text(text)
        return np.fromiter((self._index.get(t, UNK_ID) for t in self.split(text)), dtype=np.int32)

    def decode(self, ids):
        """Ids → text. Padding, `<bos>` and `<eos>` are dropped; an id outside the
        vocabulary raises."""
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"`ids` must be 1-D, received shape {ids.shape}.")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocabulary_size):
            raise ValueError(
                f"`ids` must lie in [0, {self.vocabulary_size}), received values in [{ids.min()}, {ids.max()}]."
            )
        skip = (PAD_ID, BOS_ID, EOS_ID)
        return self.join([self.vocabulary[i] for i in ids.tolist() if i not in skip])

    def __call__(self, text):
        return self.encode(text)

    def tf_encode(self, text):
        """`tf.string` scalar → 1-D int32 ids, for use in `tf.data.Dataset.map`."""
        import tensorflow as tf

        ids = tf.numpy_function(
            lambda t: self.encode(t.item() if hasattr(t, "item") else t),
            [text],
            tf.int32,
            stateful=False,
        )
        ids.set_shape([None])
        return ids

    # -- serialisation ----------------------------------------------------------------
    def get_config(self):
        return {"vocabulary": list(self.vocabulary), "lowercase": self.lowercase}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(vocabulary_size={self.vocabulary_size}, lowercase={self.lowercase})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = object.__hash__


@keras.saving.register_keras_serializable(package="rs3l_keras")
class CharTokenizer(Tokenizer):
    """Character-level tokenizer: one id per Unicode code point.

    Example:
    >>> tok = CharTokenizer.fit(["to be or not to be"])
    >>> tok.decode(tok.encode("not to be"))
    'not to be'
    >>> int(tok.encode("Z")[0]) == tok.unk_id
    True
    """

    level = "char"

    def split(self, text):
        return list(text.lower() if self.lowercase else text)

    def join(self, tokens):
        return "".join(t if len(t) == 1 else "\ufffd" if t == "<unk>" else t for t in tokens)

    def tf_encode(self, text):
        # Native TF ops (no Python round trip): code points → ids via a hash table.
        import tensorflow as tf

        if self._table is None:
            with tf.init_scope():  # build eagerly, even when first called inside a tf.data map
                keys = tf.constant(self.vocabulary)
                self._table = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(keys, tf.range(len(self.vocabulary), dtype=tf.int32)),
                    default_value=UNK_ID,
                )
        if self.lowercase:
            text = tf.strings.lower(text, encoding="utf-8")
        chars = tf.strings.unicode_split(text, "UTF-8", errors="replace")
        return self._table.lookup(chars)


@keras.saving.register_keras_serializable(package="rs3l_keras")
class WordTokenizer(Tokenizer):
    """Word-level tokenizer: words and single punctuation marks, whitespace dropped.

    Example:
    >>> tok = WordTokenizer.fit(["To be, or not to be"], lowercase=True)
    >>> tok.decode(tok.encode("to be, or"))
    'to be , or'
    """

    level = "word"

    def split(self, text):
        return _WORD_RE.findall(text.lower() if self.lowercase else text)

    def join(self, tokens):
        return " ".join(tokens)


TOKENIZERS = {"char": CharTokenizer, "word": WordTokenizer}


def tokenizer_class(level):
    """The tokenizer class for `level`: 'char' or 'word'."""
    check_one_of(level, "tokenizer", sorted(TOKENIZERS))
    return TOKENIZERS[level]


@keras.saving.register_keras_serializable(package="rs3l_keras")
class SentencePieceTokenizer(Tokenizer):
    """Subword tokenizer: a SentencePiece model (unigram or BPE) that travels with the model.

    Ids 0-4 are `SPECIAL_TOKENS`; `"\\n"` is one piece; characters never seen in training
    fall back to their UTF-8 bytes (`<0xNN>` pieces), so `decode(encode(text)) == text` for
    any text (no normalisation is applied) and nothing maps to `<unk>`. Build one with
    `SentencePieceTokenizer.fit(texts, max_tokens=8000)`; the model is stored in the config
    (base64) and so in `tokenizer.json` of a preset. Needs `pip install sentencepiece`.

    Args:
        model_proto: str. The serialised SentencePiece model, base64-encoded.
        lowercase: bool, default False. Lowercase text before encoding.

    Example:
    >>> tok = SentencePieceTokenizer.fit(["the cat sat on the mat"] * 20, max_tokens=300)
    >>> tok.decode(tok.encode("the cat sat\\non a mat! Zoë"))
    'the cat sat\\non a mat! Zoë'
    """

    level = "subword"

    def __init__(self, model_proto, lowercase=False):
        import base64

        sentencepiece = _import_sentencepiece()
        if not isinstance(model_proto, str) or not model_proto:
            raise TypeError(f"`model_proto` must be a base64 str, received {type(model_proto).__name__}.")
        self.model_proto = model_proto
        self._processor = sentencepiece.SentencePieceProcessor(model_proto=base64.b64decode(model_proto))
        pieces = [self._processor.id_to_piece(i) for i in range(self._processor.get_piece_size())]
        if tuple(pieces[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(
                f"`model_proto` must put {SPECIAL_TOKENS} at ids 0-4 (train it with `fit`), received {pieces[:5]}."
            )
        super().__init__(pieces, lowercase=lowercase)

    @classmethod
    def fit(cls, texts, max_tokens=8000, model_type="unigram", lowercase=False, max_sentences=2_000_000, seed=0):
        """Trains a SentencePiece model on `texts` (lines are the training sentences).

        Args:
            texts: str or iterable of str.
            max_tokens: int, default 8000. Vocabulary size, special and byte pieces included.
            model_type: `"unigram"` (default) or `"bpe"`.
            lowercase: bool. Lowercase before training and encoding.
            max_sentences: int. At most this many lines are sampled for training.
            seed: int. Seed of that sample.
        """
        import base64
        import io
        import random

        sentencepiece = _import_sentencepiece()
        if model_type not in ("unigram", "bpe"):
            raise ValueError(f"`model_type` must be 'unigram' or 'bpe', received {model_type!r}.")
        check_int(max_tokens, "max_tokens", 300, expected="an int ≥ 300 (5 special + 256 byte pieces)")
        if isinstance(texts, (str, bytes)):
            texts = [texts]
        lines = [line for text in texts for line in _as_text(text, "texts").split("\n") if line.strip()]
        if not lines:
            raise ValueError("`texts` must contain some text, received only empty strings.")
        if len(lines) > max_sentences:
            lines = random.Random(seed).sample(lines, max_sentences)
        if lowercase:
            lines = [line.lower() for line in lines]
        model = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=model,
            vocab_size=max_tokens,
            model_type=model_type,
            character_coverage=0.9995,
            byte_fallback=True,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            split_digits=True,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=BOS_ID,
            eos_id=EOS_ID,
            pad_piece=SPECIAL_TOKENS[PAD_ID],
            unk_piece=SPECIAL_TOKENS[UNK_ID],
            bos_piece=SPECIAL_TOKENS[BOS_ID],
            eos_piece=SPECIAL_TOKENS[EOS_ID],
            user_defined_symbols=[SPECIAL_TOKENS[MASK_ID], "\n"],
            hard_vocab_limit=False,
            num_threads=1,
            minloglevel=2,
        )
        return cls(base64.b64encode(model.getvalue()).decode("ascii"), lowercase=lowercase)

    def split(self, text):
        return self._processor.encode(text.lower() if self.lowercase else text, out_type=str)

    def encode(self, text):
        text = _as_text(text)
        return np.asarray(self._processor.encode(text.lower() if self.lowercase else text), dtype=np.int32)

    def join(self, tokens):
        return self._processor.decode_pieces(list(tokens))

    def decode(self, ids):
        text = super().decode(ids)  # checks the ids, drops padding, <bos> and <eos>
        return text

    def get_config(self):
        return {"model_proto": self.model_proto, "lowercase": self.lowercase}


def _import_sentencepiece():
    try:
        import sentencepiece
    except ImportError:
        raise ImportError(
            "SentencePieceTokenizer needs the `sentencepiece` package: `pip install 'rs3l-keras[data]'` "
            "(or `pip install sentencepiece`)."
        ) from None
    return sentencepiece


TOKENIZERS["subword"] = SentencePieceTokenizer
