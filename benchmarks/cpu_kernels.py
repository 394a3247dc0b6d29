"""Whole-sequence LSTM kernels on CPU for TensorFlow and JAX, against the path we take now.

One LSTM layer, forward + backward (gradients of the summed outputs with respect to the
input and every weight), each option in its own process with the same thread count:

    tf-keras        `keras.layers.LSTM` on TensorFlow (our current TF path on CPU)
    tf-blocklstm    `tf.raw_ops.BlockLSTMV2`: TensorFlow's fused whole-sequence LSTM op
                    (one C++ kernel over all steps, gradient `BlockLSTMGradV2`)
    jax-keras       `keras.layers.LSTM` on JAX (our current JAX path on CPU: `lax.scan`)
    jax-hoisted     a jitted `lax.scan` whose input projection x·W for all steps is one matmul
                    before the loop (only h·U stays in it)
    jax-rnn         `jax.experimental.rnn.lstm` (cuDNN's kernel; reported if it runs on CPU)
    torch           `torch.nn.LSTM` (oneDNN), the reference

    python benchmarks/cpu_kernels.py --json benchmarks/cpu_kernels.json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

OPTIONS = ("torch", "tf-keras", "tf-blocklstm", "jax-keras", "jax-hoisted", "jax-rnn")

CHILD = r"""
import json, os, sys, time
import numpy as np
option, B, T, E, H, seconds = sys.argv[1], *map(int, sys.argv[2:6]), float(sys.argv[6])
rng = np.random.default_rng(0)
x = rng.normal(size=(B, T, E)).astype("float32")
W = (rng.normal(size=(E, 4 * H)) * 0.05).astype("float32")
U = (rng.normal(size=(H, 4 * H)) * 0.05).astype("float32")
b = np.zeros(4 * H, "float32")

if option == "torch":
    import torch
    lstm = torch.nn.LSTM(E, H, batch_first=True)
    xt = torch.tensor(x, requires_grad=True)
    def step():
        lstm.zero_grad(); xt.grad = None
        out, _ = lstm(xt); out.sum().backward()
        return float(out[0, -1, 0])
elif option.startswith("tf-"):
    import tensorflow as tf
    xt = tf.constant(x)
    if option == "tf-keras":
        import keras
        layer = keras.layers.LSTM(H, return_sequences=True)
        layer.build((B, T, E))
        @tf.function
        def fn():
            with tf.GradientTape() as tape:
                tape.watch(xt)
                out = layer(xt)
                loss = tf.reduce_sum(out)
            return loss, tape.gradient(loss, [xt, *layer.trainable_variables])
    else:
        w = tf.Variable(np.concatenate([W, U], 0))  # (E + H, 4H), gates i, c, f, o (BlockLSTM's order)
        bias = tf.Variable(b)
        @tf.function
        def fn():
            with tf.GradientTape() as tape:
                tape.watch(xt)
                zeros = tf.zeros((B, H))
                outs = tf.raw_ops.BlockLSTMV2(
                    seq_len_max=tf.constant(T, tf.int64), x=tf.transpose(xt, [1, 0, 2]), cs_prev=zeros, h_prev=zeros,
                    w=w, wci=tf.zeros(H), wcf=tf.zeros(H), wco=tf.zeros(H), b=bias, cell_clip=0.0, use_peephole=False)
                loss = tf.reduce_sum(outs[-1])
            return loss, tape.gradient(loss, [xt, w, bias])
    def step():
        loss, _ = fn()
        return float(loss)
else:
    import jax, jax.numpy as jnp
    xj, Wj, Uj, bj = map(jnp.asarray, (x, W, U, b))
    if option == "jax-keras":
        import keras
        layer = keras.layers.LSTM(H, return_sequences=True)
        layer.build((B, T, E))
        values = [v.value for v in layer.trainable_variables]
        fixed = [v.value for v in layer.non_trainable_variables]
        def loss_fn(xs, vals):
            out, _ = layer.stateless_call(vals, fixed, xs)
            return jnp.sum(out)
    elif option == "jax-hoisted":
        def loss_fn(xs, vals):
            w, u, bb = vals
            projected = jnp.einsum("bte,eg->tbg", xs, w) + bb  # every step's x·W in one matmul
            def cell(carry, p):
                h, c = carry
                z = p + h @ u
                i, f, g, o = jnp.split(z, 4, axis=-1)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
                return (h, c), h
            zeros = jnp.zeros((xs.shape[0], H))
            _, hs = jax.lax.scan(cell, (zeros, zeros), projected)
            return jnp.sum(hs)
        values = [Wj, Uj, bj]
    else:
        from jax.experimental import rnn
        weights = jnp.concatenate([Wj.T.ravel(), Uj.T.ravel(), bj, jnp.zeros_like(bj)])
        def loss_fn(xs, vals):
            zeros = jnp.zeros((1, B, H))
            out, _, _ = rnn.lstm(xs, zeros, zeros, vals[0], jnp.full((B,), T, jnp.int32), input_size=E,
                                 hidden_size=H, num_layers=1, dropout=0.0, bidirectional=False)
            return jnp.sum(out)
        values = [weights]
    grad = jax.jit(jax.value_and_grad(loss_fn, argnums=(0, 1)))
    def step():
        loss, grads = grad(xj, values)
        jax.block_until_ready(grads)
        return float(loss)

start = time.perf_counter(); step(); step(); warm = time.perf_counter() - start
n, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds or n < 3:
    step(); n += 1
ms = 1000 * (time.perf_counter() - start) / n
print("RESULT " + json.dumps({"option": option, "ms_per_step": ms, "steps": n, "warmup_seconds": warm}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--options", default=",".join(OPTIONS))
    parser.add_argument("--shape", default="32,128,256,256", help="B,T,E,H (default: the cpu-small workload)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2, help="rounds over all options; medians reported")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    t = str(args.threads)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": t,
        "MKL_NUM_THREADS": t,
        "TF_NUM_INTRAOP_THREADS": t,
        "TF_NUM_INTEROP_THREADS": t,
        "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={t}",
        "JAX_PLATFORMS": "cpu",
        "CUDA_VISIBLE_DEVICES": "",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    options = args.options.split(",")
    results = []
    for round_index in range(args.repeats):
        for option in options[round_index % len(options) :] + options[: round_index % len(options)]:
            backend = {"tf": "tensorflow", "jax": "jax"}.get(option.split("-")[0], "torch")
            done = subprocess.run(
                [sys.executable, "-c", CHILD, option, *args.shape.split(","), str(args.seconds)],
                env={**env, "KERAS_BACKEND": backend},
                capture_output=True,
                text=True,
            )
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            if lines:
                result = json.loads(lines[-1][7:])
            else:
                errors = [line for line in done.stderr.splitlines() if "Error" in line or "error" in line]
                result = {"option": option, "error": (errors or done.stderr.splitlines() or ["?"])[-1][:300]}
            result["round"] = round_index
            results.append(result)
            print(json.dumps(result), flush=True)
    import numpy as np

    summary = {}
    for option in options:
        ms = [r["ms_per_step"] for r in results if r["option"] == option and "ms_per_step" in r]
        summary[option] = (
            {"ms_per_step": float(np.median(ms)), "rounds": len(ms)}
            if ms
            else {"error": next(r["error"] for r in results if r["option"] == option)}
        )
    reference = summary.get("torch", {}).get("ms_per_step")
    print(f"\nOne LSTM layer, forward + backward, B,T,E,H = {args.shape}, {args.threads} thread(s):")
    for option, row in summary.items():
        if "error" in row:
            print(f"  {option:<14} error: {row['error']}")
            continue
        if reference:
            row["vs_torch"] = reference / row["ms_per_step"]
        ratio = f"  {row['vs_torch']:.2f}x torch" if reference else ""
        print(f"  {option:<14}{row['ms_per_step']:>9.1f} ms{ratio}")
    if args.json:
        record = {
            "command": "python benchmarks/cpu_kernels.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "shape_BTEH": args.shape,
            "threads": args.threads,
            "summary": summary,
            "results": results,
        }
        with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(args.json) or ".", suffix=".tmp", delete=False) as f:
            json.dump(record, f, indent=2)
        os.replace(f.name, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
