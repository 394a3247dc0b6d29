"""Inference on inputs of many lengths: traces/compiles and time, before and after shape buckets.

`embed` used to run one batch shape per distinct series length (equal-length groups) and
`score_text` a smaller last batch; each new shape is a new trace on TensorFlow (two at most:
Keras' `reduce_retracing` then generalises) and a new XLA compilation on JAX (every shape).
Now a causal encoder reads series right-padded to a shape bucket (`probes.bucket_length`:
8, 12, 16, 24, 32, 48, …) with the batch padded to a power of two, and `score_text` pads its
last batch. Both paths run here in the same command, each backend and mode in a fresh process
(cold: the first call pays the traces/compiles), and the vectors of both are compared.

    python benchmarks/inference_shapes.py --json benchmarks/inference_shapes.json

Workloads: `embed` of 10,000 random-walk series with lengths drawn uniformly from [16, 256)
(seed 0) by the `gru-ts-general` preset (GRU 1×128, last+mean+max pooling: 384 numbers per
series), and `score_text` of `lstm-lm-small` on the four held-out Shakespeare plays.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

CHILD = r"""
import json, sys, time
import numpy as np
import keras
import rs3l_keras as rs3l
from rs3l_keras.finetune import probes
backend, task, mode, n, out = keras.backend.backend(), sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
calls = ("cold", "warm")[: int(sys.argv[5])]
traces = [0]
if backend == "jax":
    import jax
    from jax._src import dispatch, monitoring
    def listener(event, duration, **kwargs):
        if event == dispatch.BACKEND_COMPILE_EVENT:
            traces[0] += 1
    monitoring.register_event_duration_secs_listener(listener)

def count(model):  # TensorFlow: traces of the model's predict function (JAX: XLA compilations)
    fn = getattr(model, "predict_function", None)
    if backend == "tensorflow" and fn is not None:
        return int(fn.experimental_get_tracing_count())
    return traces[0]

def old_embed(model, series, batch_size=256):  # the path before buckets: equal-length groups
    encoder = probes._encoder(model)
    from rs3l_keras.data import series as series_data
    result = np.empty((len(series), 3 * model.backbone.output_dim), "float32")
    for idx in series_data.length_buckets(series).values():
        for start in range(0, len(idx), batch_size):
            rows = idx[start : start + batch_size]
            out = encoder.predict_on_batch(np.stack([series[i] for i in rows]))
            seq = np.asarray(out["sequence_output"])
            result[rows] = probes._pool(seq, np.asarray(out["pooled_output"]), np.ones(seq.shape[:2], bool), "last+mean+max")
    return result, encoder

def old_score(lm, text, window=256, context=64, batch_size=64):  # before: a smaller last batch
    from rs3l_keras.data import windowing
    ids = lm.tokenizer.encode(text)
    inputs, targets, weights = windowing.scoring_windows(ids, window, context)
    total = 0.0
    for start in range(0, len(inputs), batch_size):
        logits = np.asarray(lm.predict_on_batch(inputs[start : start + batch_size]), np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=-1))
        picked = np.take_along_axis(logits, targets[start : start + batch_size, :, None], -1)[..., 0]
        total += float(((log_norm - picked) * weights[start : start + batch_size]).sum())
    return total / np.log(2.0) / int(weights.sum())

result = {"backend": backend, "task": task, "mode": mode}
if task == "embed":
    model = rs3l.load_pretrained("gru-ts-general")
    rng = np.random.default_rng(0)
    series = [np.cumsum(rng.normal(size=(int(t), 1)), 0).astype("float32") for t in rng.integers(16, 256, n)]
    result["distinct_lengths"] = len({len(s) for s in series})
    for call in calls:
        start = time.perf_counter()
        if mode == "before":
            vectors, encoder = old_embed(model, series)
        else:
            vectors, encoder = rs3l.embed(model, series, verbose=0), probes._encoder(model)
        result[f"{call}_seconds"] = time.perf_counter() - start
        result[f"{call}_traces"] = count(encoder)
    np.save(out, vectors)
else:
    from rs3l_keras.data import shakespeare
    lm = rs3l.load_pretrained("lstm-lm-small")
    text = shakespeare.load_text("test")
    for call in calls:
        start = time.perf_counter()
        bits = old_score(lm, text) if mode == "before" else lm.score_text(text, verbose=0)["bits_per_char"]
        result[f"{call}_seconds"] = time.perf_counter() - start
        result[f"{call}_traces"] = count(lm)
    result["bits_per_char"] = bits
print("RESULT " + json.dumps(result))
"""


def run(backend, task, mode, n, threads, folder, calls=1):
    env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    if threads:
        t = str(threads)
        env.update(OMP_NUM_THREADS=t, MKL_NUM_THREADS=t, TF_NUM_INTRAOP_THREADS=t, TF_NUM_INTEROP_THREADS=t)
        env["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={t}"
    out = os.path.join(folder, f"{backend}_{task}_{mode}.npy")
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, task, mode, str(n), out, str(calls)], env=env, capture_output=True, text=True
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        return {"backend": backend, "task": task, "mode": mode, "error": done.stderr.strip()[-500:]}, None
    result = json.loads(lines[-1][7:])
    result["wall_seconds"] = round(time.time() - start, 1)
    return result, (np.load(out) if task == "embed" else None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--tasks", default="embed,score_text")
    parser.add_argument("--series", type=int, default=10_000, help="series embedded (default 10,000)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per framework (default 1)")
    parser.add_argument(
        "--calls", type=int, choices=[1, 2], default=1, help="1: the first (cold) call only; 2: also a second (warm)"
    )
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for task in args.tasks.split(","):
            for backend in args.backends.split(","):
                pair = {}
                for mode in ("before", "after"):
                    result, vectors = run(backend, task, mode, args.series, args.threads, folder, args.calls)
                    pair[mode] = (result, vectors)
                    print(json.dumps(result), flush=True)
                    results.append(result)
                (before, v0), (after, v1) = pair["before"], pair["after"]
                if v0 is not None and v1 is not None:  # the same vectors, bucketed or not
                    after["max_abs_diff_vs_before"] = float(np.abs(v0 - v1).max())
                    after["max_abs_vector"] = float(np.abs(v0).max())
                if "bits_per_char" in before and "bits_per_char" in after:
                    after["bits_per_char_diff_vs_before"] = abs(before["bits_per_char"] - after["bits_per_char"])
    print(f"\n{'task':<11}{'backend':<12}{'mode':<8}{'cold s':>9}{'warm s':>9}{'traces':>8}  check")
    for r in results:
        if "error" in r:
            print(f"{r['task']:<11}{r['backend']:<12}{r['mode']:<8}  error: {r['error'][-200:]}")
            continue
        check = ""
        if "max_abs_diff_vs_before" in r:
            check = f"max |Δ| {r['max_abs_diff_vs_before']:.1e} (of {r['max_abs_vector']:.1f})"
        if "bits_per_char_diff_vs_before" in r:
            check = f"bits/char {r['bits_per_char']:.5f}, |Δ| {r['bits_per_char_diff_vs_before']:.1e}"
        print(
            f"{r['task']:<11}{r['backend']:<12}{r['mode']:<8}{r['cold_seconds']:>9.1f}{r.get('warm_seconds', float('nan')):>9.1f}"
            f"{r.get('warm_traces', r['cold_traces']):>8}  {check}"
        )
    if args.json:
        path = args.json
        with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(path) or ".", suffix=".tmp", delete=False) as f:
            json.dump(
                {"command": "python benchmarks/inference_shapes.py " + " ".join(sys.argv[1:]), "results": results},
                f,
                indent=2,
            )
        os.replace(f.name, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
