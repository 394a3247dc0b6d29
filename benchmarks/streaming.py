"""Streaming vs re-running the window: per-step latency and memory for sequence lengths
128 … 16,384 (issue 20).

When a new step arrives, a recurrent model can either carry its state (`rs3l.Streamer`: one
cell update, whatever has been read before) or re-run the whole window ending at the new
step (what a stateless server does). This measures, for each window length L, on one stream
(batch 1):

    stream_ms   median time of one `Streamer.step` (Keras, compiled step function) at the start
                of a stream, and again once it has read max(L) steps (`stream_ms_late`); also
                the exported step graph in onnxruntime (`onnx_step_ms`)
    window_ms   median time of one forward pass over the last L steps (`predict_on_batch`;
                `--window-repeats` passes up to L = 2,048, fewer above, one at 8,192 and beyond)
    state_kb    bytes the stream keeps between steps (recurrent state, conv windows)
    window_kb   bytes of the activations one window pass materialises at its output
                (sequence of top states + the model's per-step outputs), computed from shapes
    rss_mb      peak resident memory of this process above the level after the streaming
                measurements (measured; allocators keep freed memory, so it only grows)

Models: `lstm-lm-small` (1×512 LSTM char LM, next-character probabilities) and
`gru-cpc-ucr` (causal Conv1D + 1×64 GRU series encoder, online embeddings).

    python benchmarks/streaming.py --json benchmarks/streaming_cpu.json
"""

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time

import keras
import numpy as np

import rs3l_keras as rs3l

LENGTHS = (128, 512, 2048, 8192, 16384)


def _median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def bench(name, lengths, steps, window_repeats):
    model = rs3l.load_pretrained(name, compile=False)
    stream = rs3l.Streamer(model)
    rng = np.random.default_rng(0)
    if stream.is_text:
        data = rng.integers(4, model.backbone.vocabulary_size, size=max(lengths)).astype("int32")
        step_inputs = [int(v) for v in data[: steps + 20]]
        outputs_per_step = model.backbone.vocabulary_size  # logits
    else:
        data = rng.normal(size=(max(lengths), stream.channels)).astype("float32")
        step_inputs = list(data[: steps + 20])
        outputs_per_step = 0  # the encoder's outputs are its states
    for x in step_inputs[:20]:  # compile
        stream.step(x)
    it = iter(step_inputs[20:])
    stream_ms = _median_ms(lambda: stream.step(next(it)), steps)
    # The same, once the stream has read the longest window: the cost must not have grown.
    for x in data[stream.steps : max(lengths)]:
        stream.step(int(x) if stream.is_text else x)
    late = iter(step_inputs[20:])
    stream_ms_late = _median_ms(lambda: stream.step(next(late)), steps)
    late_steps = stream.steps
    state_kb = sum(s.nbytes for s in stream.initial_states(1)) / 1024

    onnx_ms = None
    try:
        run = rs3l.load_exported(stream.export(tempfile.mkdtemp() + "/step", format="onnx"))
        states = dict(zip(stream.state_names(), stream.initial_states(1)))
        x0 = np.array([step_inputs[0]], "int32") if stream.is_text else np.asarray(step_inputs[0])[None]
        run(x=x0, **states)
        onnx_ms = _median_ms(lambda: run(x=x0, **states), steps)
    except ImportError:
        pass

    encoder = model if stream.is_text else model.encoder_model()
    rows = []
    baseline = _peak_rss_mb()
    for length in lengths:
        window = data[None, :length]
        encoder.predict_on_batch(window)  # trace this shape once
        repeats = max(1, min(window_repeats, window_repeats * 2048 // length))  # long windows: fewer passes
        window_ms = _median_ms(lambda w=window: encoder.predict_on_batch(w), repeats)
        hidden = model.backbone.output_dim
        window_kb = length * (hidden + outputs_per_step) * 4 / 1024
        rows.append(
            {
                "length": length,
                "stream_ms": round(stream_ms, 3),
                "stream_ms_late": round(stream_ms_late, 3),
                "late_after_steps": late_steps,
                "onnx_step_ms": None if onnx_ms is None else round(onnx_ms, 3),
                "window_ms": round(window_ms, 2),
                "speedup": round(window_ms / stream_ms, 1),
                "state_kb": round(state_kb, 1),
                "window_kb": round(window_kb, 1),
                "rss_mb": round(_peak_rss_mb() - baseline, 1),
            }
        )
        print(name, rows[-1], flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="lstm-lm-small,gru-cpc-ucr")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    parser.add_argument("--steps", type=int, default=200, help="streamed steps timed")
    parser.add_argument("--window-repeats", type=int, default=3, help="window passes timed per length")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    lengths = [int(v) for v in args.lengths.split(",")]
    results = {
        "machine": {"processor": platform.machine(), "backend": keras.backend.backend(), "keras": keras.__version__},
        "command": " ".join(["python benchmarks/streaming.py", *(sys.argv[1:] if argv is None else argv)]),
        "presets": {name: bench(name, lengths, args.steps, args.window_repeats) for name in args.presets.split(",")},
    }
    print(
        "| preset | L | stream step (ms): start / after max(L) steps | ONNX step (ms) | window pass (ms) "
        "| window / step | state kB | window outputs kB | peak RSS growth (MB) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, rows in results["presets"].items():
        for r in rows:
            print(
                f"| `{name}` | {r['length']:,} | {r['stream_ms']} / {r['stream_ms_late']} | {r['onnx_step_ms']} "
                f"| {r['window_ms']:,} | {r['speedup']:,}x | {r['state_kb']} | {r['window_kb']:,} | {r['rss_mb']} |"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
