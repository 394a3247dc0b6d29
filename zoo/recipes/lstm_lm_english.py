"""Trains `lstm-lm-english`: a subword (SentencePiece unigram) AWD-LSTM-style language model on
the offline English mix (`rs3l_keras.data.corpus.english_mix`), on one CPU core or a GPU
(Keras on torch either way: PyTorch's fused LSTM kernel, oneDNN or cuDNN).

AWD-LSTM / ULMFiT pieces that keep PyTorch's fused LSTM kernel (Keras on torch): tied input and
output embeddings (with a projection from the hidden size), dropout on every non-recurrent
connection (embedding output, between layers, before the softmax), Adam with global norm clipping,
warm-up then cosine decay. Weight drop on the recurrent matrices is left out: it would take the
layers off the fused path.

Steps are cut into chunks; after each chunk the model and optimizer state are written to
`--work-dir` atomically, and `--resume` continues from the last chunk with the same data order.
`--resume --steps N --restart-at S` extends a finished run of S steps to N: a second warm-up and
cosine cycle over steps S..N (a warm restart, as in SGDR), with the optimizer state kept.
`--init-from PRESET` starts a new cycle from a preset's weights with a fresh optimizer (the GPU
cycle). For a lease of fixed length, `--time-budget S` sets `--steps` by a timing calibration
(recorded in the preset), `--snapshot F.npz` writes the weights every `--snapshot-seconds`, and
`--finish-from F.npz LOG` scores and saves a run whose lease ended before its scoring.
At the end the held-out documents of the corpus are scored (perplexity per subword token and bits
per character, comparable with the character presets), and in the same run a plain PyTorch
LSTM of the same size (`torch.nn.LSTM`, tied embeddings, same dropout, optimizer and schedule) is
trained on the same windows for `--torch-steps` steps (a shorter run) and scored on the same text;
the Keras model's score after the same number of steps is recorded beside it.

    KERAS_BACKEND=torch OMP_NUM_THREADS=1 python zoo/recipes/lstm_lm_english.py --output zoo/lstm-lm-english
"""

import argparse
import functools
import json
import math
import os
import pathlib
import platform
import sys
import time

import numpy as np


def log(record):
    print(json.dumps(record), flush=True)


def prepare(work, args):
    """Corpus → SentencePiece tokenizer → token ids, cached in `work`."""
    from rs3l_keras.data import corpus
    from rs3l_keras.data.tokenizers import SentencePieceTokenizer
    from rs3l_keras.evaluation import label_efficiency

    meta_path, tok_path, ids_path = work / "corpus.json", work / "tokenizer.json", work / "train_ids.npy"
    start = time.time()
    if not meta_path.exists():  # each stage is cached in `work`, so a restart skips what is done
        mix = corpus.english_mix(exclude=label_efficiency.all_test_texts())
        (work / "train.txt").write_text(mix.train_text, encoding="utf-8")
        (work / "heldout.txt").write_text(mix.heldout_text, encoding="utf-8")
        meta_path.write_text(json.dumps(mix.metadata(), indent=1))
        log({"corpus_train_chars": mix.metadata()["train_chars"], "seconds": round(time.time() - start, 1)})
    if not tok_path.exists():
        train_text = (work / "train.txt").read_text(encoding="utf-8")
        tokenizer = SentencePieceTokenizer.fit([train_text], max_tokens=args.vocabulary_size, max_sentences=1_000_000)
        tok_path.write_text(json.dumps(tokenizer.get_config()))
        log({"tokenizer_seconds": round(time.time() - start, 1)})
    if not ids_path.exists():
        tokenizer = SentencePieceTokenizer.from_config(json.loads(tok_path.read_text()))
        train_ids = tokenizer.encode((work / "train.txt").read_text(encoding="utf-8"))
        np.save(ids_path, train_ids.astype(np.int16 if args.vocabulary_size < 32768 else np.int32))
        log({"tokenized": len(train_ids), "seconds": round(time.time() - start, 1)})
    tokenizer = SentencePieceTokenizer.from_config(json.loads(tok_path.read_text()))
    train_ids = np.load(work / "train_ids.npy").astype(np.int32)
    heldout = (work / "heldout.txt").read_text(encoding="utf-8")
    return tokenizer, train_ids, heldout, json.loads(meta_path.read_text())


@functools.lru_cache(maxsize=2)
def _pass_starts(num_ids, length, batch_size, epoch, rng_seed):
    """The window starts of one pass over the stream, in the pass' order (seeded by its number)."""
    per_pass = (num_ids - 1) // length // batch_size
    rng = np.random.default_rng([rng_seed, epoch])
    offset = int(rng.integers(0, length))
    n = (num_ids - offset - 1) // length
    return offset + rng.permutation(n)[: per_pass * batch_size] * length


def windows_for(ids, length, batch_size, step, rng_seed):
    """The batch of windows for global `step`: one random permutation of windows per pass over
    the stream (seeded by the pass number), so a resumed run sees the same order."""
    per_pass = (len(ids) - 1) // length // batch_size
    epoch, index = divmod(step, per_pass)
    starts = _pass_starts(len(ids), length, batch_size, epoch, rng_seed)[index * batch_size : (index + 1) * batch_size]
    rows = ids[starts[:, None] + np.arange(length + 1)]
    return rows[:, :-1], rows[:, 1:]


def build(tokenizer, args):
    """The model (fresh, or `--init-from`'s weights), compiled with this run's schedule."""
    import keras

    import rs3l_keras as rs3l

    if args.init_from:
        model = rs3l.load_pretrained(args.init_from, compile=False)
        wanted = {"num_layers": args.num_layers, "hidden_dim": args.hidden_dim, "embedding_dim": args.embedding_dim}
        found = {k: getattr(model.backbone, k) for k in wanted}
        if found != wanted or model.tokenizer.get_config() != tokenizer.get_config():
            raise ValueError(
                f"--init-from={args.init_from!r} holds a model of {found} (or another tokenizer); "
                f"expected {wanted} with the tokenizer in --work-dir"
            )
    else:
        backbone = rs3l.RNNBackbone(
            tokenizer.vocabulary_size,
            cell="lstm",
            num_layers=args.num_layers,
            hidden_dim=args.hidden_dim,
            embedding_dim=args.embedding_dim,
            dropout=args.dropout,
        )
        model = rs3l.LanguageModel(backbone, tokenizer, sequence_length=args.sequence_length, tie_embeddings=True)

    class WarmRestart(keras.optimizers.schedules.LearningRateSchedule):
        """`schedule` started again at optimizer step `offset` (the steps before it were a first cycle)."""

        def __init__(self, schedule, offset):
            self.schedule, self.offset = schedule, offset

        def __call__(self, step):
            return self.schedule(keras.ops.maximum(keras.ops.cast(step, "float32") - self.offset, 0.0))

        def get_config(self):  # serialising the model serialises its optimizer (then drops it)
            return {"schedule": keras.optimizers.schedules.serialize(self.schedule), "offset": self.offset}

    cycle = args.steps - args.restart_at
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=args.learning_rate / 10,
        decay_steps=max(cycle - cycle // 20, 1),
        alpha=0.05,
        warmup_target=args.learning_rate,
        warmup_steps=cycle // 20,
    )
    if args.restart_at:
        schedule = WarmRestart(schedule, args.restart_at)
    model.compile(optimizer=keras.optimizers.Adam(schedule, global_clipnorm=1.0))
    return model


def savez_atomic(path, **arrays):
    """`np.savez` to `path` (an `.npz`) through a temporary sibling and a rename."""
    path = pathlib.Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def save_state(model, work, step):
    """Model + optimizer variables and the step, written atomically."""
    state = {f"m{i}": np.asarray(v.numpy()) for i, v in enumerate(model.weights)}
    state.update({f"o{i}": np.asarray(v.numpy()) for i, v in enumerate(model.optimizer.variables)})
    savez_atomic(work / "state.npz", step=step, **state)


def load_state(model, work):
    data = np.load(work / "state.npz")
    for i, v in enumerate(model.weights):
        v.assign(data[f"m{i}"])
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    for i, v in enumerate(model.optimizer.variables):
        v.assign(data[f"o{i}"])
    return int(data["step"])


def torch_baseline(tokenizer, train_ids, heldout, args, seconds_budget=None):
    """A plain PyTorch LSTM LM of the same size, same windows, same schedule shape."""
    import torch

    torch.manual_seed(args.seed)
    V, E, H, L = tokenizer.vocabulary_size, args.embedding_dim, args.hidden_dim, args.num_layers

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(V, E)
            self.lstm = torch.nn.LSTM(E, H, num_layers=L, batch_first=True, dropout=args.dropout if L > 1 else 0)
            self.projection = torch.nn.Linear(H, E, bias=False)
            self.bias = torch.nn.Parameter(torch.zeros(V))
            self.drop = torch.nn.Dropout(args.dropout)

        def forward(self, x):
            h, _ = self.lstm(self.drop(self.embedding(x)))
            return self.projection(self.drop(h)) @ self.embedding.weight.T + self.bias

    device = "cuda" if torch.cuda.is_available() else "cpu"
    net = Net().to(device)
    steps = args.torch_steps
    optimizer = torch.optim.Adam(net.parameters(), lr=args.learning_rate)
    warm = max(steps // 20, 1)

    def lr_at(s):
        if s < warm:
            return args.learning_rate / 10 + (args.learning_rate - args.learning_rate / 10) * s / warm
        p = (s - warm) / max(steps - warm, 1)
        return args.learning_rate * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))

    start = time.time()
    net.train()
    for s in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(s)
        x, y = windows_for(train_ids, args.sequence_length, args.batch_size, s, args.seed)
        logits = net(torch.from_numpy(x).long().to(device))
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, V), torch.from_numpy(y).long().reshape(-1).to(device)
        )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        if s % 200 == 0:
            log({"torch_step": s, "loss": round(float(loss), 4), "seconds": round(time.time() - start, 1)})
    if device == "cuda":
        torch.cuda.synchronize()
    train_seconds = time.time() - start
    net.eval()
    from rs3l_keras.data import windowing

    ids = tokenizer.encode(heldout)
    inputs, targets, weights = windowing.scoring_windows(ids, 256, 64)
    total = 0.0
    with torch.no_grad():
        for b in range(0, len(inputs), 64):
            logits = net(torch.from_numpy(inputs[b : b + 64]).long().to(device)).double()
            nll = torch.nn.functional.cross_entropy(
                logits.reshape(-1, V),
                torch.from_numpy(targets[b : b + 64]).long().reshape(-1).to(device),
                reduction="none",
            )
            total += float((nll.cpu().numpy() * weights[b : b + 64].reshape(-1)).sum())
    num_tokens = int(weights.sum())
    num_chars = len(tokenizer.decode(ids[1:]))
    return {
        "steps": steps,
        "train_seconds": round(train_seconds, 1),
        "heldout_perplexity": math.exp(total / num_tokens),
        "heldout_bits_per_char": total / math.log(2) / num_chars,
        "tokens_per_second": round(steps * args.batch_size * args.sequence_length / train_seconds, 1),
    }


def calibrate_steps(tokenizer, train_ids, args, warmup=10, timed=40):
    """How many steps fit in `--time-budget` seconds here: `timed` steps of a throwaway copy of
    the model, after `warmup` (kernel selection, allocation), rounded down to `--chunk-steps`."""
    calibration = build(tokenizer, args)
    for s in range(warmup + timed):
        if s == warmup:
            start = time.time()
        x, y = windows_for(train_ids, args.sequence_length, args.batch_size, s, args.seed)
        calibration.train_on_batch(x, y)
    seconds_per_step = (time.time() - start) / timed
    steps = int(args.time_budget / seconds_per_step) // args.chunk_steps * args.chunk_steps
    return max(steps, args.chunk_steps), seconds_per_step


def finish_from(model, args):
    """Loads a finished run's `--snapshot` into `model` and reads its log (JSON lines):
    returns (step, train_seconds, history, calibration)."""
    snapshot, log_path = args.finish_from
    data = np.load(snapshot)
    if len(data.files) != len(model.weights):
        raise ValueError(f"--finish-from: {snapshot} holds {len(data.files)} arrays, the model {len(model.weights)}")
    for i, v in enumerate(model.weights):
        v.assign(data[f"arr_{i}"])
    records = [json.loads(line) for line in pathlib.Path(log_path).read_text().splitlines() if line.startswith("{")]
    history = [r for r in records if "step" in r and "train_loss" in r]
    kernel = next((r["kernel"] for r in records if "kernel" in r), "?")
    calibration = next((r["calibration"] for r in records if "calibration" in r), None)
    if not history or history[-1]["step"] != args.steps:
        raise ValueError(f"--finish-from: {log_path} does not end at --steps={args.steps}")
    calibration = dict(calibration or {}, trained_with=kernel)
    return history[-1]["step"], history[-1]["train_seconds"], history, calibration


def device_name(keras):
    import torch

    where = (
        f"{torch.cuda.get_device_name()} (cuDNN)"
        if torch.cuda.is_available()
        else f"{platform.machine()} CPU, {torch.get_num_threads()} thread(s)"
    )
    return f"{where}, {keras.backend.backend()} backend, Keras {keras.__version__}, torch {torch.__version__}"


def write_weights(model, path):
    """The model's weights (no optimizer state) at `path`, an `.npz` in `model.weights` order
    (`arr_0`, `arr_1`, ...), atomically."""
    savez_atomic(path, **{f"arr_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.weights)})


#: A second text that `make test` has (the data extra): the first characters of the 4 plays the
#: character presets hold out (never in this corpus: its Shakespeare source reads the 34 training
#: plays only). It lets a test re-measure the weights without the whole corpus installed.
SHAKESPEARE_CHARS = 50_000


def shakespeare_metrics(model):
    """Bits/char on the 4 held-out plays (comparable with the character presets' headline) and on
    their first `SHAKESPEARE_CHARS`, which `tests/zoo/test_lstm_lm_english.py` re-measures."""
    from rs3l_keras.data import shakespeare

    text = shakespeare.load_text("test")
    prefix = model.score_text(text[:SHAKESPEARE_CHARS], batch_size=64, verbose=0)
    whole = model.score_text(text, batch_size=64, verbose=0)
    return {
        "shakespeare_heldout_bits_per_char": whole["bits_per_char"],
        "shakespeare_heldout_num_chars": whole["num_chars"],
        "shakespeare_prefix_bits_per_char": prefix["bits_per_char"],
        "shakespeare_prefix_num_chars": prefix["num_chars"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True)
    parser.add_argument("--work-dir", default="runs/lm-english")
    parser.add_argument("--vocabulary-size", type=int, default=4000)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--hidden-dim", type=int, default=512)
    parser.add_argument("--embedding-dim", type=int, default=256)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=1800)
    parser.add_argument("--chunk-steps", type=int, default=100, help="steps between checkpoints")
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--torch-steps", type=int, default=150, help="plain PyTorch LSTM baseline steps (0: none)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--restart-at",
        type=int,
        default=0,
        help="with --resume: step of a finished first cycle; a second cycle runs to --steps",
    )
    parser.add_argument("--init-from", help="a preset (name or directory) whose weights start this run")
    parser.add_argument(
        "--time-budget",
        type=float,
        help="seconds of training: --steps is set by a timing calibration (recorded; reproduce with --steps)",
    )
    parser.add_argument(
        "--snapshot",
        help="also write the weights (no optimizer state) to this .npz every --snapshot-seconds (a GPU lease)",
    )
    parser.add_argument("--snapshot-seconds", type=float, default=60.0)
    parser.add_argument("--heldout-every", type=int, default=0, help="log held-out perplexity every N steps (0: no)")
    parser.add_argument(
        "--finish-from",
        nargs=2,
        metavar=("SNAPSHOT", "LOG"),
        help="score and save a run whose final --snapshot and log came back without a preset "
        "(a GPU lease that ended before scoring): no training; pass the run's other arguments",
    )
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.init_from and (args.resume or args.restart_at):
        parser.error("--init-from starts a new run: it cannot go with --resume or --restart-at")
    if args.snapshot and not args.snapshot.endswith(".npz"):
        parser.error(f"--snapshot must end in .npz, got {args.snapshot!r}")
    if args.time_budget is not None and args.time_budget <= 0:
        parser.error(f"--time-budget must be > 0 seconds, got {args.time_budget}")
    if not 0 <= args.restart_at < args.steps:
        parser.error(f"--restart-at must be in [0, --steps={args.steps}), got {args.restart_at}")

    work = pathlib.Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    tokenizer, train_ids, heldout, corpus_meta = prepare(work, args)
    log({"train_tokens": int(len(train_ids)), "heldout_chars": len(heldout), "vocabulary": tokenizer.vocabulary_size})
    if args.prepare_only:
        return 0
    from rs3l_keras.data import shakespeare

    shakespeare.plays_directory()  # the final scoring reads the 4 held-out plays: fail now, not after training

    import keras
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    from rs3l_keras.backbones import fused
    from rs3l_keras.zoo import hub

    if torch.cuda.is_available():  # TF32 matrix products (cuDNN's recurrent ones use TF32 already)
        torch.backends.cuda.matmul.allow_tf32 = True
    calibration = None
    if args.time_budget and not (args.resume and (work / "state.npz").exists()):
        keras.utils.set_random_seed(args.seed)
        args.steps, seconds_per_step = calibrate_steps(tokenizer, train_ids, args)
        calibration = {"time_budget": args.time_budget, "seconds_per_step": seconds_per_step, "steps": args.steps}
        log({"calibration": calibration})
    keras.utils.set_random_seed(args.seed)
    model = build(tokenizer, args)
    model.sequence_length = args.sequence_length
    log({"kernel": fused.describe(model.backbone, training=True), "parameters": model.count_params()})
    step, train_seconds, history = 0, 0.0, []
    if args.finish_from:
        step, train_seconds, history, calibration = finish_from(model, args)
        log({"finished_from": args.finish_from, "step": step})
    elif args.resume and (work / "state.npz").exists():
        step = load_state(model, work)
        saved = json.loads((work / "progress.json").read_text())
        train_seconds, history = saved["train_seconds"], saved["history"]
        log({"resumed_at_step": step})
        if step < args.restart_at:
            raise ValueError(f"--restart-at={args.restart_at} but the first cycle in {work} stopped at step {step}")
    elif args.restart_at:
        raise ValueError(f"--restart-at={args.restart_at} needs --resume and a finished first cycle in {work}")
    elif (work / "state.npz").exists():
        raise FileExistsError(f"{work}/state.npz holds an unfinished run: pass --resume or remove it.")
    comparison, last_snapshot = None, time.time()
    while step < args.steps:
        chunk = min(args.chunk_steps, args.steps - step)
        start = time.time()
        losses = []
        for s in range(step, step + chunk):
            x, y = windows_for(train_ids, args.sequence_length, args.batch_size, s, args.seed)
            losses.append(float(model.train_on_batch(x, y, return_dict=True)["loss"]))
        step += chunk
        train_seconds += time.time() - start
        record = {
            "step": step,
            "train_loss": round(float(np.mean(losses)), 4),
            "train_seconds": round(train_seconds, 1),
            "tokens_per_second": round(chunk * args.batch_size * args.sequence_length / (time.time() - start), 1),
        }
        history.append(record)
        if args.heldout_every and (step % args.heldout_every == 0 or step == args.steps):
            record["heldout_perplexity_first_300k_chars"] = model.score_text(heldout[:300_000], verbose=0)["perplexity"]
        log(record)
        save_state(model, work, step)
        if args.snapshot and (time.time() - last_snapshot > args.snapshot_seconds or step == args.steps):
            write_weights(model, args.snapshot)
            last_snapshot = time.time()
        (work / "progress.json").write_text(json.dumps({"train_seconds": train_seconds, "history": history}))

    scored = model.score_text(heldout, batch_size=64, verbose=0)
    metrics = {
        "heldout_perplexity": scored["perplexity"],
        "heldout_bits_per_char": scored["bits_per_char"],
        "heldout_bits_per_token": scored["bits_per_token"],
        "heldout_num_chars": scored["num_chars"],
        "heldout_num_tokens": scored["num_tokens"],
    }
    metrics.update(shakespeare_metrics(model))
    log(metrics)
    if args.torch_steps:
        comparison = torch_baseline(tokenizer, train_ids, heldout, args)
        log({"torch_baseline": comparison})

    device = device_name(keras)
    if args.finish_from:  # trained elsewhere (the log's kernel line says where), scored here
        device = f"trained with {calibration['trained_with']}; scored on {device}"
    meta = {
        "description": (
            f"Subword (SentencePiece unigram, {tokenizer.vocabulary_size} pieces) {args.num_layers}x{args.hidden_dim} "
            "LSTM language model with tied embeddings, pretrained on the offline English mix "
            "(news, State of the Union, Brown, WordNet glosses, Python and Linux docs, fortunes, 34 Shakespeare "
            "plays; the 4 held-out plays, every benchmark test text and movie-review text left out)."
        ),
        "recipe": "bash zoo/recipes/lstm-lm-english.sh",
        "command": "KERAS_BACKEND=torch OMP_NUM_THREADS=1 python zoo/recipes/lstm_lm_english.py "
        + " ".join(sys.argv[1:]),
        "data": corpus_meta,
        "headline_metric": "heldout_bits_per_char",
        "evaluation": (
            "score_text on the corpus' held-out documents (2% of documents by a fixed hash of their id): "
            "windows of 256 tokens, 64 of burn-in context, each token scored once; perplexity per "
            "subword token, bits per character of the decoded text"
        ),
        "intended_use": (
            "A general English encoder for few-label text classification (rs3l.linear_probe, "
            "rs3l.finetune) and for ULMFiT-style fine-tuning. Small and trained briefly on CPU: "
            "expect a weak generator; modern news, political speech, technical docs and dictionary text only."
        ),
        "license": "Weights: Apache-2.0, like the code. Data: see data.sources (each source's licence).",
        "sequence_length": args.sequence_length,
        "training": {
            "steps": args.steps,
            "batch_size": args.batch_size,
            "sequence_length": args.sequence_length,
            "tokens_seen": args.steps * args.batch_size * args.sequence_length,
            "dropout_non_recurrent": args.dropout,
            "tied_embeddings": True,
            "optimizer": "Adam, global_clipnorm=1.0",
            "learning_rate": f"warm-up to {args.learning_rate} over 5% of steps, cosine decay to 5%"
            + (
                f"; a second such cycle (warm restart) over steps {args.restart_at}-{args.steps}"
                if args.restart_at
                else ""
            ),
            "seed": args.seed,
            "init_from": args.init_from,
            "steps_calibration": calibration,
            "wall_time_seconds": round(train_seconds, 1),
            "device": device,
            "log": history,
        },
    }
    if comparison is not None:
        meta["baselines"] = {"plain PyTorch LSTM, same size and data, shorter run": comparison}
    elif args.init_from:  # the starting preset's same-size baseline stands for its lineage
        inherited = hub.preset_metadata(args.init_from).get("baselines")
        if inherited:
            meta["baselines"] = {
                k: dict(v, run=f"the --init-from preset's ({args.init_from})") for k, v in inherited.items()
            }
    hub.save_pretrained(model, args.output, metrics=metrics, metadata=meta)
    log({"preset": args.output})
    return 0


if __name__ == "__main__":
    sys.exit(main())
