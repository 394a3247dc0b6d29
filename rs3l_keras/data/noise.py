"""Self-supervised text pairs for sequence-to-sequence pretraining.

- denoising: a line corrupted by character drops, adjacent swaps and masked spans → the line
- next line: a line → the line that follows it

Noise is drawn per example from `(seed, epoch, index)`, so each epoch sees new corruptions
and a seed replays them.
"""

import numpy as np

from rs3l_keras.data.tokenizers import MASK_ID, SPECIAL_TOKENS
from rs3l_keras.validation import check_one_of, check_positive_int

TASKS = ("denoise", "next-line")


def corrupt_ids(ids, rng, drop_rate=0.05, swap_rate=0.05, span_rate=0.03, max_span=3):
    """Corrupts a 1-D id array: drops, adjacent swaps and spans replaced by one `<mask>`."""
    ids = [int(t) for t in ids]
    out, i = [], 0
    while i < len(ids):
        u = rng.random()
        if u < span_rate:  # a span of 1..max_span tokens becomes a single <mask>
            i += int(rng.integers(1, max_span + 1))
            out.append(MASK_ID)
            continue
        if u < span_rate + drop_rate:
            i += 1
            continue
        if u < span_rate + drop_rate + swap_rate and i + 1 < len(ids):
            out += [ids[i + 1], ids[i]]
            i += 2
            continue
        out.append(ids[i])
        i += 1
    return np.asarray(out, dtype=np.int32)


def text_lines(text, min_chars=1):
    """Non-empty lines of `text` (stripped), at least `min_chars` long."""
    return [line.strip() for line in text.split("\n") if len(line.strip()) >= min_chars]


def next_line_pairs(lines):
    """`(line_i, line_{i+1})` for consecutive lines."""
    return list(zip(lines[:-1], lines[1:]))


def copy_baseline_ids(ids, seed=0, **noise):
    """The corrupted inputs of a fixed evaluation draw (for the copy-the-input baseline)."""
    rng = np.random.default_rng(seed)
    return [corrupt_ids(x, rng, **noise) for x in ids]


def check_noise_task(task):
    return check_one_of(task, "task", TASKS)


NUM_SPECIAL = len(SPECIAL_TOKENS)


def seq2seq_dataset(sources, targets, batch_size=64, shuffle=True, seed=None, epoch=None, denoise=False, noise=None):
    """Batches of `({"encoder_token_ids", "decoder_token_ids"}, target_ids)`, right-padded.

    Args:
        sources, targets: lists of 1-D int32 id arrays (targets get `<bos>`/`<eos>` here).
        denoise: corrupt each source (a fresh draw per epoch and example; fixed draw when
            `shuffle=False`, for reproducible evaluation).
        noise: dict of `corrupt_ids` rates.
    """
    import tensorflow as tf

    from rs3l_keras.data import windowing
    from rs3l_keras.data.tokenizers import BOS_ID, EOS_ID

    check_positive_int(batch_size, "batch_size")
    if len(sources) != len(targets) or not sources:
        raise ValueError(
            f"`sources` and `targets` must be non-empty and of equal length, received "
            f"{len(sources)} and {len(targets)}."
        )
    seed = int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)
    if epoch is None:
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    noise = dict(noise or {})

    def build(indices, epoch_value):
        rows = []
        for i in indices.tolist():
            src = sources[i]
            if denoise:
                rng = np.random.default_rng([seed, int(epoch_value) + 1, i])
                src = corrupt_ids(src, rng, **noise)
            rows.append((src, targets[i]))
        enc_len = max(1, max(len(s) for s, _ in rows))
        dec_len = max(len(t) for _, t in rows) + 1
        enc = np.zeros((len(rows), enc_len), np.int32)
        dec = np.zeros((len(rows), dec_len), np.int32)
        out = np.zeros((len(rows), dec_len), np.int32)
        for r, (s, t) in enumerate(rows):
            enc[r, : len(s)] = s
            dec[r, 0] = BOS_ID
            dec[r, 1 : len(t) + 1] = t
            out[r, : len(t)] = t
            out[r, len(t)] = EOS_ID
        return enc, dec, out

    index = np.arange(len(sources), dtype=np.int64)
    if shuffle:
        ds = windowing.shuffled_batches(index, batch_size, seed, epoch)
    else:
        ds = tf.data.Dataset.from_tensor_slices(index).batch(batch_size)

    def to_tensors(indices):
        epoch_value = epoch.read_value() if shuffle else tf.constant(-1, tf.int64)
        enc, dec, out = tf.numpy_function(build, [indices, epoch_value], [tf.int32] * 3, stateful=False)
        for t in (enc, dec, out):
            t.set_shape([None, None])
        return {"encoder_token_ids": enc, "decoder_token_ids": dec}, out

    return ds.map(to_tensors).prefetch(tf.data.AUTOTUNE)
