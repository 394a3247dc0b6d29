"""Pretraining throughput: rs3l_keras vs the same layers in bare Keras vs plain PyTorch.

One command runs every arm, each in its own process (a Keras backend is fixed per
process), on the same machine and in the same run, and prints a table of ratios against
plain PyTorch `nn.LSTM` with the same sizes.

Arms (`--arms`, default: all that can run here):
    torch                 plain PyTorch: Embedding → nn.LSTM(num_layers) → Linear, Adam.
    keras-<backend>       bare Keras: Embedding → LSTM × L → Dense, Adam, `fit`.
    ours-<backend>        `rs3l.LanguageModel(RNNBackbone(...))` with its default `compile()`
                          (Adam with global clipnorm, perplexity and bits/token metrics).
each optionally suffixed `:bf16` (PyTorch: `torch.autocast(bfloat16)`; Keras:
`mixed_bfloat16`) or `:nofuse` (ours with `RS3L_FUSED_RNN=0`). The `--objective series`
workload times `SequenceAutoencoder` (LSTM encoder → code → LSTM decoder) the same way.

Data: random token ids (throughput does not depend on the values). Ours trains through its
own input pipeline (`LanguageModel.fit` on token rows, tf.data) when TensorFlow is
installed, and through Keras' array adapter otherwise (GPU machines without TF); the JSON
says which. Each arm: warm-up (compilation) steps, then enough steps for `--seconds`.

    python benchmarks/throughput.py --size cpu-small             # the issue's CPU workload
    python benchmarks/throughput.py --size cpu-small --repeats 5 --arms torch,ours-torch  # medians of 5 rounds
    python benchmarks/throughput.py --size h100 --json out.json  # 2x1024 LSTM LM, B=128, T=256
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

SIZES = {
    # 2-layer LSTM LM, H=1024, B=128, T=256, vocab 256 (the GPU reference workload).
    "h100": dict(layers=2, hidden=1024, embedding=1024, batch=128, time=256, vocab=256, channels=1),
    # small LSTM 256, B=32, T=128 (the CPU reference workload).
    "cpu-small": dict(layers=1, hidden=256, embedding=256, batch=32, time=128, vocab=256, channels=1),
    "tiny": dict(layers=2, hidden=32, embedding=16, batch=8, time=16, vocab=32, channels=1),
}


# --------------------------------------------------------------------------------------------
# arms (each runs in its own process)
# --------------------------------------------------------------------------------------------
def tokens(size, steps, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, size["vocab"], size=(steps * size["batch"], size["time"] + 1)).astype("int32")


def series(size, steps, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(size["time"])[None, :, None]
    phase = rng.uniform(0, 6.28, size=(steps * size["batch"], 1, size["channels"]))
    return (np.sin(0.1 * t + phase) + 0.1 * rng.normal(size=phase.shape)).astype("float32")


def run_torch(size, precision, objective, seconds):
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = True  # the reference figure is TF32
    torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(0)
    L, H, E, V, B, T, C = (size[k] for k in ("layers", "hidden", "embedding", "vocab", "batch", "time", "channels"))

    class LM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(V, E)
            self.lstm = torch.nn.LSTM(E, H, num_layers=L, batch_first=True)
            self.head = torch.nn.Linear(H, V)

        def loss(self, batch):
            out, _ = self.lstm(self.embedding(batch[:, :-1]))
            logits = self.head(out)
            return torch.nn.functional.cross_entropy(logits.reshape(-1, V).float(), batch[:, 1:].reshape(-1))

    class AE(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.LSTM(C, H, batch_first=True)
            self.code = torch.nn.Linear(H, 16)
            self.bridge_h, self.bridge_c = torch.nn.Linear(16, H), torch.nn.Linear(16, H)
            self.decoder = torch.nn.LSTM(16, H, batch_first=True)
            self.head = torch.nn.Linear(H, C)

        def loss(self, batch):
            _, (h, _) = self.encoder(batch)
            code = self.code(h[-1])
            state = (torch.tanh(self.bridge_h(code))[None], torch.tanh(self.bridge_c(code))[None])
            out, _ = self.decoder(code[:, None, :].expand(-1, batch.shape[1], -1).contiguous(), state)
            return torch.mean((self.head(out).float() - batch.flip(1)) ** 2)

    model = (LM() if objective == "lm" else AE()).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = tokens(size, 8) if objective == "lm" else series(size, 8)
    batches = [torch.as_tensor(data[i * B : (i + 1) * B], device=device) for i in range(8)]
    if objective == "lm":
        batches = [b.long() for b in batches]

    def step(i):
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model.loss(batches[i % 8])
        loss.backward()
        optimizer.step()
        return loss

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for i in range(3):
        step(i)
    sync()
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds or n < 5:
        loss = step(n)
        n += 1
        if n % 10 == 0:
            sync()
    sync()
    elapsed = time.perf_counter() - start
    return {
        "steps": n,
        "seconds": elapsed,
        "loss": float(loss),
        "device": device,
        "cudnn": bool(device == "cuda" and torch.backends.cudnn.is_available()),
        "framework": f"torch {torch.__version__}",
    }


def run_keras(size, precision, objective, seconds, ours, fuse):
    os.environ["RS3L_FUSED_RNN"] = "1" if fuse else "0"
    import keras
    from keras.src import backend as kbackend

    if precision == "bf16":
        keras.config.set_dtype_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    L, H, E, V, B, T, C = (size[k] for k in ("layers", "hidden", "embedding", "vocab", "batch", "time", "channels"))

    # Count the recurrent calls that the backend's own LSTM kernel accepted (cuDNN on GPU; it
    # falls back silently to a per-step loop by raising NotImplementedError inside the layer)
    # and the calls of our fused stack. On JAX these count traces, on torch every step.
    cudnn = {"lstm_layer_calls": 0, "lstm_layer_cudnn": 0, "fused_stack_calls": 0}
    original = kbackend.lstm

    def counting_lstm(*args, **kwargs):
        cudnn["lstm_layer_calls"] += 1
        out = original(*args, **kwargs)
        cudnn["lstm_layer_cudnn"] += 1
        return out

    kbackend.lstm = counting_lstm
    if ours:
        from rs3l_keras.backbones import fused

        def counting(function):
            def counted(*args, **kwargs):
                cudnn["fused_stack_calls"] += 1
                return function(*args, **kwargs)

            return counted

        fused.fused_lstm = counting(fused.fused_lstm)  # JAX + GPU: cuDNN
        fused.torch_fused_rnn = counting(fused.torch_fused_rnn)  # torch: PyTorch's own kernel

    input_path = "numpy arrays (keras.Model.fit)"
    if objective == "lm":
        if ours:
            import rs3l_keras as rs3l

            model = rs3l.LanguageModel(
                rs3l.RNNBackbone(V, num_layers=L, hidden_dim=H, embedding_dim=E), sequence_length=T
            )
            model.compile()
        else:
            model = keras.Sequential(
                [keras.Input((None,), dtype="int32"), keras.layers.Embedding(V, E)]
                + [keras.layers.LSTM(H, return_sequences=True) for _ in range(L)]
                + [keras.layers.Dense(V, dtype="float32")]
            )
            model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        make = lambda steps: tokens(size, steps)  # noqa: E731
    else:
        import rs3l_keras as rs3l

        if ours:
            model = rs3l.SequenceAutoencoder(rs3l.RNNBackbone(input_dim=C, hidden_dim=H), code_dim=16, window_length=T)
            model.compile()
        else:
            x = keras.Input((None, C))
            _, h, _ = keras.layers.LSTM(H, return_state=True)(x)
            code = keras.layers.Dense(16)(h)
            state = [keras.layers.Dense(H, activation="tanh")(code) for _ in range(2)]
            steps_in = keras.ops.repeat(code[:, None, :], T, axis=1)
            out = keras.layers.LSTM(H, return_sequences=True)(steps_in, initial_state=state)
            model = keras.Model(x, keras.layers.Dense(C, dtype="float32")(out))
            model.compile(keras.optimizers.Adam(1e-3), "mse")
        make = lambda steps: series(size, steps)  # noqa: E731

    try:
        import tensorflow  # noqa: F401

        has_tf = True
    except ImportError:
        has_tf = False

    def fit(data, steps):
        nonlocal input_path
        if ours and has_tf:  # our own pipeline: tf.data from token rows / series
            input_path = "rs3l input pipeline (tf.data)"
            history = model.fit(data, batch_size=B, epochs=1, shuffle=False, verbose=0)
        elif objective == "lm":
            history = keras.Model.fit(
                model, data[:, :-1], data[:, 1:], batch_size=B, epochs=1, shuffle=False, verbose=0
            )
        elif ours:
            history = keras.Model.fit(model, data, batch_size=B, epochs=1, shuffle=False, verbose=0)
        else:
            history = keras.Model.fit(model, data, data[:, ::-1], batch_size=B, epochs=1, shuffle=False, verbose=0)
        return history.history["loss"][-1]

    start = time.perf_counter()
    fit(make(3), 3)  # compile + warm-up
    warm = time.perf_counter() - start
    start = time.perf_counter()
    fit(make(5), 5)
    per_step = (time.perf_counter() - start) / 5
    steps = max(5, int(seconds / max(per_step, 1e-4)))
    data = make(steps)
    start = time.perf_counter()
    loss = fit(data, steps)
    elapsed = time.perf_counter() - start
    return {
        "steps": steps,
        "seconds": elapsed,
        "compile_seconds": warm,
        "loss": float(loss),
        "input": input_path,
        "framework": f"keras {keras.__version__} ({keras.backend.backend()})",
        "device": _keras_device(),
        **cudnn,
    }


def _keras_device():
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return str(jax.devices()[0].platform)
    if keras.backend.backend() == "torch":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    return "gpu" if tf.config.list_physical_devices("GPU") else "cpu"


def run_arm(arm, size, objective, seconds):
    name, _, flag = arm.partition(":")
    precision = "bf16" if flag == "bf16" else "fp32"
    if name == "torch":
        result = run_torch(size, precision, objective, seconds)
    else:
        kind, _, backend = name.partition("-")
        result = run_keras(size, precision, objective, seconds, ours=kind == "ours", fuse=flag != "nofuse")
    tokens_per_step = size["batch"] * size["time"]
    result.update(
        arm=arm,
        precision=precision,
        ms_per_step=1000 * result["seconds"] / result["steps"],
        tokens_per_second=tokens_per_step * result["steps"] / result["seconds"],
    )
    return result


# --------------------------------------------------------------------------------------------
# orchestration
# --------------------------------------------------------------------------------------------
def available_arms():
    arms = []
    import importlib.util

    if importlib.util.find_spec("torch"):
        arms += ["torch", "torch:bf16"]
    for backend in ("tensorflow", "jax", "torch"):
        if importlib.util.find_spec(backend):
            short = {"tensorflow": "tf"}.get(backend, backend)
            arms += [f"keras-{short}", f"ours-{short}"]
    return arms


def run_arm_process(arm, args):
    backend = arm.partition(":")[0].partition("-")[2]
    env = {**os.environ, "KERAS_BACKEND": {"tf": "tensorflow"}.get(backend, backend or "tensorflow")}
    start = time.time()
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--arm",
            arm,
            "--size",
            args.size,
            "--objective",
            args.objective,
            "--seconds",
            str(args.seconds),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        lines_err = done.stderr.strip().splitlines() or ["(no output)"]
        errors = [line for line in lines_err if re.match(r"^[\w.]+(Error|Exception)\b", line)]
        result = {"arm": arm, "error": (errors or lines_err)[-1][:300]}
    else:
        result = json.loads(lines[-1][7:])
    result["wall_seconds"] = round(time.time() - start, 1)
    return result


def summarise(arms, results):
    """One row per arm: median ms/step over its rounds, and its ratio to the median plain
    PyTorch arm of the same precision (speed ÷ PyTorch's speed)."""
    rows = []
    for arm in arms:
        runs = [r for r in results if r["arm"] == arm and "error" not in r]
        if not runs:
            rows.append({"arm": arm, "error": next(r["error"] for r in results if r["arm"] == arm)})
            continue
        ms = sorted(r["ms_per_step"] for r in runs)
        last = runs[-1]
        fused_info = (
            f"stack {last['fused_stack_calls']}, layers {last['lstm_layer_cudnn']}/{last['lstm_layer_calls']}"
            if "lstm_layer_calls" in last
            else str(last.get("cudnn"))
        )
        rows.append(
            {
                "arm": arm,
                "precision": last["precision"],
                "rounds": len(runs),
                "ms_per_step": float(np.median(ms)),
                "ms_per_step_min": ms[0],
                "ms_per_step_max": ms[-1],
                "tokens_per_second": float(np.median([r["tokens_per_second"] for r in runs])),
                "fused": fused_info,
            }
        )
    baseline = {
        row["precision"]: row["ms_per_step"] for row in rows if row["arm"].startswith("torch") and "error" not in row
    }
    for row in rows:
        if "error" not in row and row["precision"] in baseline:
            row["vs_torch"] = baseline[row["precision"]] / row["ms_per_step"]
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="cpu-small")
    parser.add_argument("--objective", choices=["lm", "series"], default="lm")
    parser.add_argument("--arms", default=None, help="comma-separated arms (default: all available)")
    parser.add_argument("--seconds", type=float, default=15.0, help="timed seconds per arm")
    parser.add_argument(
        "--repeats", type=int, default=1, help="rounds over all arms (rotated order); the table shows medians"
    )
    parser.add_argument("--json", default=None, help="write all results here")
    parser.add_argument("--arm", default=None, help=argparse.SUPPRESS)  # internal: run one arm
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    if args.arm:
        print("RESULT " + json.dumps(run_arm(args.arm, size, args.objective, args.seconds)), flush=True)
        return 0
    arms = args.arms.split(",") if args.arms else available_arms()
    results = []
    for round_index in range(args.repeats):
        # Each round runs every arm once, starting one arm later than the round before, so
        # slow drifts of a shared machine spread over the arms instead of hitting one.
        shift = round_index % len(arms)
        for arm in arms[shift:] + arms[:shift]:
            result = run_arm_process(arm, args)
            result["round"] = round_index
            results.append(result)
            print(json.dumps(result), flush=True)
    summary = summarise(arms, results)
    print(f"\n{args.objective} workload {args.size}: {size}; {args.repeats} round(s), median over rounds")
    print(f"{'arm':<22}{'ms/step':>10}{'(min-max)':>16}{'tokens/s':>12}{'vs torch (same precision)':>28}  fused/cuDNN")
    for row in summary:
        if "error" in row:
            print(f"{row['arm']:<22}  error: {row['error']}")
            continue
        ratio = f"{row['vs_torch']:.2f}x" if row.get("vs_torch") else "-"
        spread = f"({row['ms_per_step_min']:.0f}-{row['ms_per_step_max']:.0f})"
        print(
            f"{row['arm']:<22}{row['ms_per_step']:>10.1f}{spread:>16}{row['tokens_per_second']:>12,.0f}"
            f"{ratio:>28}  {row['fused']}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "size": args.size,
                    "objective": args.objective,
                    "workload": size,
                    "repeats": args.repeats,
                    "summary": summary,
                    "results": results,
                },
                f,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
