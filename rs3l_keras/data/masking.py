"""BERT-style corruption for masked language modelling, done in the input pipeline.

Of the non-special tokens, `mask_rate` (15%) are selected; of those 80% become `<mask>`, 10%
a random token and 10% stay unchanged (Devlin et al., 2019). Random draws are stateless and
keyed on `(seed, epoch, batch index)`: a different corruption every epoch, the same one for
the same seed, and the same one when a run is resumed.
"""

import numpy as np

from rs3l_keras.data import windowing
from rs3l_keras.data.tokenizers import MASK_ID, SPECIAL_TOKENS
from rs3l_keras.validation import check_number, check_positive_int


def bert_corrupt(ids, key, vocabulary_size, mask_rate=0.15, mask_token_rate=0.8, random_token_rate=0.1):
    """ids (B, T) int32 → `(corrupted_ids, targets, weights)`; weights are 1 on selected
    positions only (the loss and masked accuracy are computed there). `key`: int64 [2]."""
    import tensorflow as tf

    shape = tf.shape(ids)
    key = tf.cast(key, tf.int64)
    select = tf.random.stateless_uniform(shape, seed=key)
    action = tf.random.stateless_uniform(shape, seed=key + tf.constant([0, 1], tf.int64))
    random_ids = tf.random.stateless_uniform(
        shape,
        seed=key + tf.constant([0, 2], tf.int64),
        minval=len(SPECIAL_TOKENS),
        maxval=vocabulary_size,
        dtype=tf.int32,
    )
    selected = (select < mask_rate) & (ids >= len(SPECIAL_TOKENS))
    to_mask = selected & (action < mask_token_rate)
    to_random = selected & (action >= mask_token_rate) & (action < mask_token_rate + random_token_rate)
    corrupted = tf.where(to_mask, tf.cast(MASK_ID, ids.dtype), tf.where(to_random, random_ids, ids))
    return corrupted, ids, tf.cast(selected, tf.float32)


def mlm_dataset(x, tokenizer, sequence_length, batch_size=64, shuffle=True, seed=None, epoch=None, mask_rate=0.15):
    """Text or token ids → batches of `(corrupted_ids, original_ids, selected_weights)`.

    Evaluation (`shuffle=False`) uses a fixed corruption for a given seed, so held-out masked
    accuracy is reproducible.
    """
    import tensorflow as tf

    check_positive_int(batch_size, "batch_size")
    check_number(mask_rate, "mask_rate", 0, 1, low_open=True, high_open=True, expected="in (0, 1)")
    if isinstance(x, (str, bytes)) or (
        isinstance(x, (list, tuple)) and x and all(isinstance(t, (str, bytes)) for t in x)
    ):
        if tokenizer is None:
            raise ValueError("String inputs need a model with a tokenizer, but `tokenizer` is None.")
        rows = windowing.windows(windowing.encode_stream(x, tokenizer), sequence_length)
    else:
        arr = np.asarray(x)
        if arr.size == 0:
            raise ValueError(f"`x` is empty (shape {arr.shape}): expected text or token ids.")
        arr = windowing.check_token_ids(arr, tokenizer.vocabulary_size if tokenizer else np.iinfo(np.int32).max, "x")
        if arr.ndim == 1:
            rows = windowing.windows(arr, sequence_length)
        elif arr.ndim == 2:
            rows = arr
        else:
            raise ValueError(f"`x` must be text, a 1-D token stream or 2-D token rows, received shape {arr.shape}.")
    vocabulary_size = tokenizer.vocabulary_size if tokenizer is not None else int(rows.max()) + 1
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    if epoch is None:
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    if shuffle:
        ds = windowing.shuffled_batches(rows, batch_size, seed, epoch)
    else:
        ds = tf.data.Dataset.from_tensor_slices(rows).batch(batch_size)

    def corrupt(index, batch):
        step = (epoch.read_value() if shuffle else tf.constant(-1, tf.int64)) * 1_000_003 + index
        return bert_corrupt(batch, tf.stack([tf.constant(seed, tf.int64), step]), vocabulary_size, mask_rate)

    return ds.enumerate().map(corrupt, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
