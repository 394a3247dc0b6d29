"""Turning text or token streams into (inputs, next-token targets) windows, vectorised.

Everything here runs in the input pipeline (NumPy or tf.data), never in the model graph.
"""

import numpy as np

from rs3l_keras.data.tokenizers import PAD_ID, _as_text
from rs3l_keras.validation import check_positive_int


def check_token_ids(ids, vocabulary_size, argument="token_ids"):
    """Raises a ValueError unless `ids` is an integer array with values in [0, vocabulary_size)."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise ValueError(f"`{argument}` must hold integer token ids, received dtype {ids.dtype}.")
    if ids.size and (ids.min() < 0 or ids.max() >= vocabulary_size):
        raise ValueError(
            f"`{argument}` must lie in [0, {vocabulary_size}) (the vocabulary size), received "
            f"values in [{ids.min()}, {ids.max()}]."
        )
    return ids.astype(np.int32, copy=False)


def pad_ids(rows):
    """List of 1-D id arrays → `(n, longest)` int32 batch, right-padded with `PAD_ID`
    (at least one column, so an empty row still makes a batch)."""
    batch = np.full((len(rows), max(1, max(len(r) for r in rows))), PAD_ID, "int32")
    for row, ids in zip(batch, rows):
        row[: len(ids)] = ids
    return batch


def encode_stream(texts, tokenizer):
    """str or list of str → one 1-D int32 stream; documents are joined by a newline."""
    if isinstance(texts, (str, bytes)):
        texts = [texts]
    texts = [_as_text(t, "x") for t in texts]
    if not texts or not any(texts):
        raise ValueError("`x` must contain some text, received only empty strings.")
    return tokenizer.encode("\n".join(texts))


def windows(ids, length, stride=None):
    """1-D stream → (num_windows, length) views of it, `stride` apart (default `length`)."""
    check_positive_int(length, "length")
    stride = length if stride is None else stride
    check_positive_int(stride, "stride")
    ids = np.asarray(ids, dtype=np.int32)
    if ids.ndim != 1:
        raise ValueError(f"`ids` must be a 1-D token stream, received shape {ids.shape}.")
    if ids.size < length:
        raise ValueError(
            f"The token stream has {ids.size} tokens; at least {length} are needed for one window "
            "(sequence_length + 1 for next-token targets)."
        )
    return np.lib.stride_tricks.sliding_window_view(ids, length)[::stride]


def lm_windows(ids, sequence_length, stride=None):
    """1-D stream → (num_windows, sequence_length + 1) windows, `stride` apart.

    Consecutive windows overlap by one token (default stride = `sequence_length`), so every
    token of the stream but the first is a target exactly once.
    """
    check_positive_int(sequence_length, "sequence_length")
    return windows(ids, sequence_length + 1, sequence_length if stride is None else stride)


def scoring_windows(ids, window, context):
    """Windows for scoring a long stream with `context` tokens of burn-in per window.

    Returns `(inputs, targets, weights)`, each (n, window): every target of the stream is
    weighted 1 exactly once, and (except in the first window) only after at least
    `context` tokens of left context; the last window is padded with weight 0.
    """
    check_positive_int(window, "window")
    if not 0 <= context < window:
        raise ValueError(f"`context` must be in [0, window={window}), received {context!r}.")
    ids = np.asarray(ids, dtype=np.int32)
    if ids.ndim != 1 or ids.size < 2:
        raise ValueError(f"`ids` must be a 1-D stream of at least 2 tokens, received shape {ids.shape}.")
    stride = window - context
    num_targets = ids.size - 1
    starts = np.arange(0, max(num_targets - context, 1), stride)
    padded = np.full(starts[-1] + window + 1, PAD_ID, dtype=np.int32)
    padded[: ids.size] = ids
    index = starts[:, None] + np.arange(window + 1)[None, :]
    chunks = padded[index]
    inputs, targets = chunks[:, :-1], chunks[:, 1:]
    positions = index[:, 1:]
    weights = (positions < ids.size).astype(np.float32)
    weights[1:, :context] = 0.0  # burn-in: these targets were scored by the previous window
    return inputs, targets, weights


def shuffled_batches(rows, batch_size, seed=None, epoch=None, drop_remainder=False):
    """Batches of `rows` (a NumPy array, or a tuple of arrays of equal length) as a
    `tf.data.Dataset`, in an order that is a pure function of `(seed, epoch)`.

    `epoch` is a `tf.Variable` (int64) read each time an iterator starts; `EpochCounter`
    sets it from `on_epoch_begin`. A run resumed at epoch k therefore sees exactly the order
    an uninterrupted run saw at epoch k (Keras opens a varying number of iterators per
    epoch, so an iterator-count-based reshuffle would not replay).
    """
    import tensorflow as tf

    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    if epoch is None:
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    table = tf.nest.map_structure(tf.constant, rows)
    n = len(tf.nest.flatten(rows)[0])

    def permutation(_):
        key = tf.stack([tf.constant(seed, tf.int64), epoch.read_value()])
        order = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=key)
        return tf.data.Dataset.from_tensor_slices(order)

    num_batches = n // batch_size if drop_remainder else -(-n // batch_size)
    ds = tf.data.Dataset.from_tensors(0).flat_map(permutation)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder).map(
        lambda i: tf.nest.map_structure(lambda t: tf.gather(t, i), table)
    )
    return ds.apply(tf.data.experimental.assert_cardinality(num_batches))


def lm_dataset(
    x,
    tokenizer,
    sequence_length,
    batch_size=64,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    epoch=None,
):
    """A `tf.data.Dataset` of `(inputs, targets)` next-token windows from any LM input.

    Args:
        x: str, list of str, a 1-D int stream, a 2-D int array of rows (each row is one
            sequence: inputs `row[:-1]`, targets `row[1:]`), or a `tf.data.Dataset` of
            strings or of int token sequences (unbatched or batched).
        tokenizer: the model's tokenizer (used for strings).
        sequence_length: int. Tokens per training window.
        batch_size: int, default 64.
        shuffle: bool. Shuffle windows, in a different order every epoch that depends only
            on `(seed, epoch)` for in-memory data (see `shuffled_batches`); a `tf.data` input
            is shuffled with a seeded buffer.
        epoch: `tf.Variable` (int64) or None. The epoch counter of `shuffled_batches`.
    """
    import tensorflow as tf

    check_positive_int(batch_size, "batch_size")
    check_positive_int(sequence_length, "sequence_length")
    vocab = tokenizer.vocabulary_size if tokenizer is not None else None

    if isinstance(x, tf.data.Dataset):
        spec = x.element_spec
        if isinstance(spec, tuple):  # already (inputs, targets[, weights]); assume batched
            return x.prefetch(tf.data.AUTOTUNE)
        ds = x
        if spec.shape.rank is not None and spec.shape.rank > (0 if spec.dtype == tf.string else 1):
            ds = ds.unbatch()
        if spec.dtype == tf.string:
            if tokenizer is None:
                raise ValueError("String inputs need a model with a tokenizer, but `tokenizer` is None.")
            ds = ds.map(tokenizer.tf_encode, num_parallel_calls=tf.data.AUTOTUNE)
        elif not spec.dtype.is_integer:
            raise ValueError(
                f"A tf.data `x` must yield strings or integer token ids, received dtype {spec.dtype.name}."
            )
        ds = ds.map(lambda t: tf.reshape(tf.cast(t, tf.int32), [-1])).unbatch()
        ds = ds.batch(sequence_length + 1, drop_remainder=True)
        if shuffle:
            ds = ds.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
        ds = ds.map(lambda w: (w[:-1], w[1:]), num_parallel_calls=tf.data.AUTOTUNE)
        return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)

    if isinstance(x, (str, bytes)) or (
        isinstance(x, (list, tuple)) and x and all(isinstance(t, (str, bytes)) for t in x)
    ):
        if tokenizer is None:
            raise ValueError("String inputs need a model with a tokenizer, but `tokenizer` is None.")
        windows = lm_windows(encode_stream(x, tokenizer), sequence_length)
    else:
        if isinstance(x, (list, tuple)) and not x:
            raise ValueError("`x` is empty: expected text or token ids.")
        arr = np.asarray(x)
        if arr.size == 0:
            raise ValueError(f"`x` is empty (shape {arr.shape}): expected text or token ids.")
        if vocab is not None:
            arr = check_token_ids(arr, vocab, "x")
        if arr.ndim == 1:
            windows = lm_windows(arr, sequence_length)
        elif arr.ndim == 2:
            if arr.shape[1] < 2:
                raise ValueError(f"Rows of `x` need at least 2 tokens, received shape {arr.shape}.")
            windows = arr.astype(np.int32)
        else:
            raise ValueError(f"`x` must be text, a 1-D token stream or 2-D token rows, received shape {arr.shape}.")
    if shuffle:
        ds = shuffled_batches(windows, batch_size, seed, epoch, drop_remainder)
    else:
        ds = tf.data.Dataset.from_tensor_slices(windows).batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda w: (w[:, :-1], w[:, 1:]), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
