"""The `rs3l` command: list, inspect, verify, evaluate, sample from and pretrain presets.

rs3l list ['lstm-*']
rs3l info lstm-lm-small
rs3l generate lstm-lm-small --prompt "ROMEO." --max-length 200 --temperature 0.8 --top-k 20
rs3l evaluate lstm-lm-small --text FILE --json
rs3l pretrain --data shakespeare --hidden-dim 512 --output my-preset/ --plot figures/
rs3l pretrain --data tfds:tiny_shakespeare --output my-preset/     # online: TFDS downloads it once
rs3l plot lstm-forecaster-elecdemand --plot figures/
"""

import argparse
import json
import logging
import os
import pathlib
import shlex
import sys


def _bounded(cast, expected, valid):
    """An argparse type: `cast` the text, then require `valid(value)`; errors quote the value."""

    def parse(text):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, received {text!r}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, received {text}")
        return value

    return parse


_positive_int = _bounded(int, "a positive integer", lambda v: v > 0)
_non_negative_int = _bounded(int, "an integer >= 0", lambda v: v >= 0)
_positive_float = _bounded(float, "a finite number > 0", lambda v: 0 < v < float("inf"))
_non_negative_float = _bounded(float, "a finite number >= 0", lambda v: 0 <= v < float("inf"))
_fraction = _bounded(float, "a number in [0, 1)", lambda v: 0 <= v < 1)
UNIVARIATE_UCR = ("GunPoint", "ItalyPowerDemand", "ArrowHead")  # as rs3l_keras.data.series (not imported: slow)


def _data_source(text):
    """--data: the offline corpus `shakespeare`, or `tfds:NAME` (a TFDS dataset, online)."""
    if text == "shakespeare" or (text.startswith("tfds:") and len(text) > len("tfds:")):
        return text
    raise argparse.ArgumentTypeError(
        f"expected 'shakespeare' (offline) or 'tfds:NAME' (a TFDS dataset such as "
        f"tfds:tiny_shakespeare, needs the network once), received {text!r}"
    )


def _existing_file(text):
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    return text


def _add_backend(p):
    """--backend on the commands that run a model (`rs3l_keras.backends`)."""
    p.add_argument(
        "--backend",
        choices=["auto", "tensorflow", "jax", "torch"],  # rs3l_keras.backends.CHOICES (not imported: loads Keras)
        default="auto",
        help="Keras backend, chosen before Keras loads (default auto: KERAS_BACKEND if set, else the fastest "
        "installed for the device: torch on CPU; one line says which)",
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="rs3l", description="Self-supervised recurrent models for Keras 3: the rs3l_keras zoo."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list registered presets")
    p.add_argument("pattern", nargs="?", default=None, help="shell-style filter, e.g. 'lstm-*'")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    p = sub.add_parser("info", help="print a preset's model card (verified)")
    p.add_argument("preset", help="registered name, preset directory or URL")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON")

    p = sub.add_parser("verify", help="check the sha256 of every file of a preset")
    p.add_argument("preset")

    p = sub.add_parser("generate", help="sample text from a language-model preset")
    p.add_argument("preset")
    p.add_argument("--prompt", required=True)
    p.add_argument("--max-length", type=_positive_int, default=200, help="tokens to add (default 200)")
    p.add_argument("--temperature", type=_positive_float, default=0.8)
    p.add_argument("--top-k", type=_positive_int, default=None)
    p.add_argument("--seed", type=_non_negative_int, default=None)
    _add_backend(p)

    p = sub.add_parser("evaluate", help="held-out bits per character of a language-model preset")
    p.add_argument("preset")
    p.add_argument(
        "--text",
        type=_existing_file,
        default=None,
        help="UTF-8 text file to score (default: the preset's held-out Shakespeare plays)",
    )
    p.add_argument("--window", type=_positive_int, default=256)
    p.add_argument("--context", type=_non_negative_int, default=64, help="burn-in tokens per window")
    p.add_argument("--batch-size", type=_positive_int, default=64)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_backend(p)

    p = sub.add_parser(
        "plot",
        help="draw a time-series preset's results on its own data as PNG files",
        description="Forecaster: forecast with its 90% interval against the held-out truth; "
        "autoencoder: anomaly scores with the threshold and the labelled anomaly, and "
        "reconstructions; CPC / contrastive encoder: PCA of the embeddings of a UCR test split "
        "coloured by label; GAN: generated samples next to real sines. Text presets keep no "
        "training history: draw their curves with `rs3l pretrain ... --plot DIR`.",
    )
    p.add_argument("preset", help="registered name or preset directory")
    p.add_argument("--plot", required=True, metavar="DIR", help="folder for the PNG files (created)")
    p.add_argument(
        "--dataset",
        choices=UNIVARIATE_UCR,
        default=None,
        help="series encoders: UCR set to embed (default: the preset's headline set)",
    )
    _add_backend(p)

    p = sub.add_parser("pretrain", help="pretrain a text objective and save it as a preset")
    p.add_argument(
        "--objective",
        choices=["language-model", "masked-language-model", "seq2seq", "sequence-vae"],
        default="language-model",
    )
    p.add_argument(
        "--compare-with", default=None, help="masked LM only: a language-model preset to score on the same positions"
    )
    p.add_argument(
        "--data",
        type=_data_source,
        default="shakespeare",
        metavar="{shakespeare,tfds:NAME}",
        help="shakespeare: the offline plays; tfds:NAME: a TFDS text dataset (e.g. tfds:tiny_shakespeare, "
        "downloaded once: needs the network), train split for training, validation (else test) held "
        "out (ignored when --text is given)",
    )
    p.add_argument(
        "--tfds-data-dir",
        default=None,
        metavar="DIR",
        help="--data tfds:NAME: TFDS data directory (default: TFDS' ~/tensorflow_datasets)",
    )
    p.add_argument(
        "--tfds-text-key",
        default=None,
        metavar="KEY",
        help="--data tfds:NAME: the text feature to read (default: text)",
    )
    p.add_argument("--text", type=_existing_file, nargs="+", default=None, help="own training text files")
    p.add_argument("--validation-text", type=_existing_file, nargs="+", default=None)
    p.add_argument("--tokenizer", choices=["char", "word"], default="char")
    p.add_argument("--max-tokens", type=_positive_int, default=None, help="vocabulary cap")
    p.add_argument("--cell", choices=["lstm", "gru", "simple"], default="lstm")
    p.add_argument("--num-layers", type=_positive_int, default=1)
    p.add_argument("--hidden-dim", type=_positive_int, default=512)
    p.add_argument("--embedding-dim", type=_positive_int, default=64)
    p.add_argument("--dropout", type=_fraction, default=0.0)
    p.add_argument(
        "--sequence-length",
        type=_positive_int,
        default=None,
        help="tokens per training window: (masked) LM windows (default 128), seq2seq/VAE lines (default 64)",
    )
    p.add_argument("--max-length", type=_positive_int, default=None, help=argparse.SUPPRESS)  # its old name
    p.add_argument("--attention", choices=["luong", "bahdanau", "none"], default="luong", help="seq2seq")
    p.add_argument("--task", choices=["denoise", "next-line"], default="denoise", help="seq2seq pretext")
    p.add_argument("--latent-dim", type=_positive_int, default=32, help="VAE")
    p.add_argument("--token-dropout", type=_fraction, default=0.25, help="VAE decoder input dropout")
    p.add_argument("--free-bits", type=_non_negative_float, default=0.0, help="VAE: nats per latent dim")
    p.add_argument("--kl-warmup-steps", type=_positive_int, default=None, help="VAE (default: a third of training)")
    p.add_argument("--eval-lines", type=_positive_int, default=500, help="seq2seq/VAE: held-out lines scored")
    p.add_argument("--batch-size", type=_positive_int, default=64)
    p.add_argument("--epochs", type=_positive_int, default=5)
    p.add_argument("--learning-rate", type=_positive_float, default=3e-3)
    p.add_argument("--seed", type=_non_negative_int, default=0)
    p.add_argument("--description", default=None, help="one line for the model card")
    p.add_argument(
        "--recipe", default=None, help="the command that reproduces this run, for the metadata (default: this command)"
    )
    p.add_argument("--output", required=True, help="preset directory to write")
    p.add_argument(
        "--checkpoint-dir",
        default=None,
        help="where last/best weights and the crash-safe backup go (default: OUTPUT.ckpt)",
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its backup")
    p.add_argument("--logdir", default=None, help="write TensorBoard logs here")
    p.add_argument("--plot", default=None, metavar="DIR", help="write training_curves.png here")
    p.add_argument(
        "--deterministic",
        action="store_true",
        help="op determinism (TensorFlow's; on JAX, XLA's GPU flag): identical weights for the same seed (slower)",
    )
    p.add_argument(
        "--distribute",
        choices=["mirrored", "multiworker", "jax-data-parallel", "tpu"],
        default=None,
        help="data-parallel training: mirrored (local GPUs, TF), multiworker (TF_CONFIG "
        "cluster, TF), jax-data-parallel (all JAX devices), tpu (TF); --batch-size is global",
    )
    _add_backend(p)
    return parser


def _cmd_list(args):
    from rs3l_keras.zoo import hub

    names = hub.list_models(args.pattern)
    if args.json:
        print(json.dumps(names))
        return 0
    from rs3l_keras.zoo.presets import PRESETS

    for name in names:
        print(f"{name:24s} {PRESETS[name].get('description', '')}")
    return 0


def _cmd_info(args):
    from rs3l_keras.zoo import hub, model_card

    meta = hub.preset_metadata(args.preset)
    print(json.dumps(meta, indent=2, sort_keys=True) if args.json else model_card.render(meta))
    return 0


def _cmd_verify(args):
    from rs3l_keras.zoo import hub

    meta = hub.preset_metadata(args.preset)
    print(f"{args.preset}: {len(meta['files']) + 1} files verified (sha256)")
    return 0


def _load_lm(preset):
    from rs3l_keras.objectives import LanguageModel
    from rs3l_keras.zoo import hub

    model = hub.load_pretrained(preset)
    if not isinstance(model, LanguageModel):
        raise ValueError(f"`preset` {preset!r} is a {type(model).__name__}, expected a LanguageModel.")
    return model


def _cmd_generate(args):
    model = _load_lm(args.preset)
    prompt = args.prompt.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\\n", "\n")
    print(
        model.generate(
            prompt, max_length=args.max_length, temperature=args.temperature, top_k=args.top_k, seed=args.seed
        )
    )
    return 0


def _cmd_evaluate(args):
    if args.context >= args.window:
        raise ValueError(f"--context must be smaller than --window ({args.window}), received {args.context}.")
    model = _load_lm(args.preset)
    if args.text:
        with open(args.text, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
        source = args.text
    else:
        from rs3l_keras.data import shakespeare

        text, source = shakespeare.load_text("test"), "held-out plays: " + ", ".join(shakespeare.HELD_OUT_PLAYS)
    if len(text) < 2:
        raise ValueError(f"--text {args.text!r} holds {len(text)} characters; at least 2 are needed.")
    result = model.score_text(text, window=args.window, context=args.context, batch_size=args.batch_size)
    result = {"preset": args.preset, "text": source, **result}
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{args.preset} on {source}: {result['bits_per_char']:.4f} bits/char, "
            f"perplexity {result['perplexity']:.3f} per token, {result['num_chars']:,} chars"
        )
    return 0


def _cmd_plot(args):
    from rs3l_keras.zoo import hub

    meta = hub.preset_metadata(args.preset)
    try:
        paths = hub.load_pretrained(args.preset).plot(meta, args.plot, args.preset, dataset=args.dataset)
    except NotImplementedError:
        raise ValueError(
            f"preset {args.preset!r} is a {meta.get('objective')}: a preset keeps no per-epoch training history, "
            "and `rs3l plot` draws time-series presets only (forecaster, autoencoder, CPC, "
            "contrastive encoder, GAN). Draw training curves while training with `rs3l pretrain ... "
            f"--plot DIR`; the preset's held-out metrics are printed by `rs3l info {args.preset}`."
        ) from None
    for path in paths:
        print(f"wrote {path}")
    return 0


def _resume_command(argv):
    """The exact `rs3l pretrain ... --resume` command that continues the run of `argv`."""
    return " ".join(shlex.quote(a) for a in ["rs3l", *argv] if a != "--resume") + " --resume"


def _cmd_pretrain(args, argv):
    from rs3l_keras import pretrain
    from rs3l_keras.datasets import DatasetUnavailableError

    try:
        train_text, heldout_text, data_meta = pretrain.load_corpus(
            args.data,
            args.text,
            args.validation_text,
            tfds_data_dir=args.tfds_data_dir,
            tfds_text_key=args.tfds_text_key,
        )
    except DatasetUnavailableError as error:
        raise ValueError(
            f"could not download TFDS dataset {error.name!r} (offline?); use --data shakespeare "
            f"(offline) or --text FILE. Cause: {error.cause}"
        ) from None
    recorded = [a for a in argv if a != "--resume"]
    command = "rs3l " + " ".join(shlex.quote(a) for a in recorded)
    checkpoint_dir = args.checkpoint_dir or args.output.rstrip("/") + ".ckpt"
    meta = {"data": data_meta, "recipe": args.recipe or command, "command": command}
    if not args.text and args.data == "shakespeare":
        meta.update({"intended_use": pretrain.SHAKESPEARE_USE, "license": pretrain.SHAKESPEARE_LICENSE})
    if args.description:
        meta["description"] = args.description
    if args.logdir:
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None:
            raise ValueError(
                f"--logdir {args.logdir!r} writes TensorBoard logs, but the tensorboard package is not "
                "installed: `pip install tensorboard`, or leave out --logdir."
            )
    if args.max_length is not None:
        if args.sequence_length is not None:
            raise ValueError("--max-length is the old name of --sequence-length: give only --sequence-length.")
        print("--max-length is deprecated and will be removed: use --sequence-length (same meaning).", file=sys.stderr)
    import keras

    history = keras.callbacks.History()  # this run's epochs, for --plot
    ckpt = pathlib.Path(checkpoint_dir)
    print(
        f"Checkpoints: best weights {ckpt / 'best.weights.h5'}, last weights {ckpt / 'last.weights.h5'}, "
        f"crash-safe backup {ckpt / 'backup'}.\nIf the run stops, continue it from the last finished epoch "
        f"with:\n  {_resume_command(argv)}",
        file=sys.stderr,
    )
    model, metrics = pretrain.pretrain_text_model(
        train_text,
        heldout_text,
        objective=args.objective,
        compare_with=args.compare_with,
        tokenizer=args.tokenizer,
        max_tokens=args.max_tokens,
        cell=args.cell,
        num_layers=args.num_layers,
        hidden_dim=args.hidden_dim,
        embedding_dim=args.embedding_dim,
        dropout=args.dropout,
        sequence_length=args.sequence_length or args.max_length,
        batch_size=args.batch_size,
        epochs=args.epochs,
        model_options={  # each objective takes the ones it names in `pretrain_options`
            "task": args.task,
            "attention": None if args.attention == "none" else args.attention,
            "latent_dim": args.latent_dim,
            "token_dropout": args.token_dropout,
            "free_bits": args.free_bits,
        },
        kl_warmup_steps=args.kl_warmup_steps,
        eval_lines=args.eval_lines,
        learning_rate=args.learning_rate,
        seed=args.seed,
        output=args.output,
        metadata=meta,
        checkpoint_dir=checkpoint_dir,
        resume=args.resume,
        logdir=args.logdir,
        deterministic=args.deterministic,
        verbose=2 if not sys.stdout.isatty() else "auto",
        callbacks=[history],
        distribute=args.distribute,
    )
    from rs3l_keras.zoo import hub

    print(json.dumps(metrics, indent=2))
    from rs3l_keras.distribute import process_is_chief

    if not process_is_chief(args.distribute):
        print(f"Worker finished; the chief writes {args.output} and {checkpoint_dir}")
        return 0
    print(f"Best weights (lowest training loss): {ckpt / 'best.weights.h5'}\nLast weights: {ckpt / 'last.weights.h5'}")
    if args.logdir:
        print(f"TensorBoard logs: {args.logdir} (view with: tensorboard --logdir {shlex.quote(args.logdir)})")
    if args.plot and history.history:
        from rs3l_keras import plot

        path = pathlib.Path(args.plot) / "training_curves.png"
        plot.training_curves(history, path=path, title=f"rs3l pretrain --objective {args.objective}: {args.output}")
        print(f"Training curves: {path}")
    elif args.plot:
        print("No epoch ran in this invocation: no training curves to draw.")
    print(
        f"Preset written to {args.output}; metadata.json sha256 "
        f"{hub.sha256_file(os.path.join(args.output, hub.METADATA_FILE))}"
    )
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from rs3l_keras.version import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command in ("generate", "evaluate", "plot", "pretrain"):
        from rs3l_keras import backends

        try:
            print(
                backends.announcement(*backends.select(args.backend, getattr(args, "distribute", None))),
                file=sys.stderr,
            )
        except ValueError as error:
            print(f"rs3l {args.command}: error: {error}", file=sys.stderr)
            return 2
    from rs3l_keras.zoo.hub import PresetIntegrityError, UnknownPresetError

    handlers = {
        "list": _cmd_list,
        "info": _cmd_info,
        "verify": _cmd_verify,
        "generate": _cmd_generate,
        "evaluate": _cmd_evaluate,
        "plot": _cmd_plot,
    }
    from rs3l_keras.callbacks import NonFiniteLossError

    try:
        if args.command == "pretrain":
            return _cmd_pretrain(args, argv)
        return handlers[args.command](args)
    except (PresetIntegrityError, UnknownPresetError, ValueError, TypeError, FileExistsError) as error:
        print(f"rs3l {args.command}: error: {error}", file=sys.stderr)
        return 2
    except NonFiniteLossError as error:
        print(f"rs3l {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if args.command == "pretrain":
            print(
                f"\nInterrupted. Continue from the last finished epoch with:\n  {_resume_command(argv)}",
                file=sys.stderr,
            )
        return 130


if __name__ == "__main__":
    sys.exit(main())
