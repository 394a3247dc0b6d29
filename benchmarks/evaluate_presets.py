"""Re-evaluates every registered preset on the held-out Shakespeare plays and prints a
Markdown table next to the recorded numbers and baselines.

    python benchmarks/evaluate_presets.py            # all presets
    python benchmarks/evaluate_presets.py lstm-lm-small
"""

import sys
import time

import rs3l_keras as rs3l
from rs3l_keras.data import shakespeare


def evaluate(name, heldout):
    meta = rs3l.preset_metadata(name)
    model = rs3l.load_pretrained(name)
    metrics = meta["metrics"]
    start = time.time()
    report = model.heldout_report(heldout, num_lines=metrics.get("heldout_num_lines", 500))
    value = report["metrics"][meta["headline_metric"]]
    baselines = ", ".join(
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in meta.get("baselines", {}).items()
    )
    return (
        f"| `{name}` | {meta['num_parameters']:,} | {meta['headline_metric']} | {value:.4f} | "
        f"{metrics[meta['headline_metric']]:.4f} | {baselines} | "
        f"{meta['training']['wall_time_seconds'] / 60:.0f} min | {time.time() - start:.0f} s |"
    )


def main(names):
    heldout = shakespeare.load_text("test")
    print("| preset | parameters | metric | measured now | recorded | baselines | training time | eval time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names or rs3l.list_models():
        print(evaluate(name, heldout), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
