"""Writes measured downstream results into a preset's metadata (`downstream`), re-pins the
registry entry and regenerates the README zoo table, so `rs3l info NAME` shows what
pretraining buys.

    python benchmarks/attach_downstream.py lstm-lm-small benchmarks/label_efficiency.json
    python benchmarks/attach_downstream.py gru-cpc-ucr benchmarks/ucr_finetune_preset.json
    python benchmarks/attach_downstream.py lstm-lm-english --replace benchmarks/label_efficiency_text_v3.json \
        benchmarks/label_efficiency_text_v3_ulmfit.json

A file may be followed by `:ARM,ARM...` to take only those arms from it (e.g. a new LM's
`pretrained` rows beside the controls of an earlier run of the same architecture).
"""

import json
import pathlib
import re
import sys

import numpy as np

from rs3l_keras.zoo import hub

ROOT = pathlib.Path(__file__).resolve().parents[1]


TEXT_ARMS = ("pretrained", "adapted", "ulmfit", "scratch", "ulmfit_scratch")


def summarize_text(results, budgets=(100, 500)):
    """{task and budget: "arm accuracy, ... (best baseline)"} from label_efficiency_text JSON."""
    from rs3l_keras.evaluation.label_efficiency import BASELINES

    def mean(task, arm, n):
        accs = [r["accuracy"] for r in results["runs"] if (r["task"], r["arm"], r["labels"]) == (task, arm, n)]
        return float(np.mean(accs)) if accs else None

    out = {}
    for task in results["tasks"]:
        for n in budgets:
            arms = {arm: mean(task, arm, n) for arm in TEXT_ARMS}
            cells = [f"{arm} {value:.3f}" for arm, value in arms.items() if value is not None]
            baselines = {arm: mean(task, arm, n) for arm in BASELINES if mean(task, arm, n) is not None}
            best = max(baselines, key=baselines.get)
            out[f"{task} {n} labels: test accuracy, mean of seeds 0-2 (best baseline)"] = (
                ", ".join(cells) + f" ({best} {baselines[best]:.3f})"
            )
    return out


def summarize(results):
    """{description: "mean ± std (n seeds)"} from any of the benchmarks' JSON."""
    out = {}
    runs = results["runs"]
    if "tasks" in results:  # rs3l_keras.evaluation.label_efficiency (text)
        return summarize_text(results)
    if runs and "arm" in runs[0]:  # label_efficiency.py
        majority = results["majority_rate"]
        for arm in sorted({r["arm"] for r in runs}):
            for n in sorted({r["labels"] for r in runs if r["arm"] == arm}):
                accs = [r["accuracy"] for r in runs if r["arm"] == arm and r["labels"] == n]
                out[f"Amazon reviews, {n} labels, {arm} (test accuracy)"] = (
                    f"{np.mean(accs):.3f} ± {np.std(accs):.3f} ({len(accs)} seeds; majority class {majority:.3f})"
                )
        return out
    for name in dict.fromkeys(r["dataset"] for r in runs):  # ucr_finetune.py
        rows = [r for r in runs if r["dataset"] == name]
        for key, label in (
            ("linear_probe", "linear probe"),
            ("fine_tune", "full fine-tune"),
            ("scratch", "same network from scratch"),
        ):
            accs = [r[key] for r in rows]
            out[f"{name}, {label} (test accuracy)"] = f"{np.mean(accs):.3f} ± {np.std(accs):.3f} ({len(accs)} seeds)"
    return out


def read_results(spec):
    """`PATH` or `PATH:ARM,ARM`: a benchmark's JSON, its runs filtered to those arms if given."""
    path, _, arms = spec.partition(":")
    results = json.loads(pathlib.Path(path).read_text())
    if arms:
        wanted = set(arms.split(","))
        found = {r.get("arm") for r in results["runs"]}
        if not wanted <= found:
            raise SystemExit(f"{path} has no runs of arm(s) {sorted(wanted - found)}; it has {sorted(found)}")
        results["runs"] = [r for r in results["runs"] if r.get("arm") in wanted]
    return results


def main(preset, *results_paths, replace=False):
    """`results_paths`: one or more JSON files of one benchmark (their runs are merged), each
    `PATH` or `PATH:ARM,ARM`."""
    results = read_results(results_paths[0])
    for spec in results_paths[1:]:
        results["runs"] = results["runs"] + read_results(spec)["runs"]
    directory = hub.zoo_directory() / preset
    meta = json.loads((directory / hub.METADATA_FILE).read_text())
    downstream = {} if replace else dict(meta.get("downstream") or {})
    downstream.update(summarize(results))
    downstream["how measured"] = f"{' + '.join(results_paths)} (see benchmarks/RESULTS.md for the command)"
    meta = hub.update_metadata(directory, {"downstream": downstream})
    digest = hub.sha256_file(directory / hub.METADATA_FILE)
    registry = ROOT / "rs3l_keras" / "zoo" / "presets.py"
    text = registry.read_text()
    pattern = re.compile(rf'("{re.escape(preset)}": \{{.*?"metadata_sha256": ")([0-9a-f]{{64}})(")', re.S)
    if not pattern.search(text):
        raise SystemExit(f"{preset} is not in {registry}")
    registry.write_text(pattern.sub(lambda m: m.group(1) + digest + m.group(3), text, count=1))
    print(json.dumps(downstream, indent=1))
    print(
        f"{preset}: metadata.json sha256 {digest} (registry updated); now run "
        "`python -m rs3l_keras.zoo.zoo_table README.md`"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    main(*[a for a in args if a != "--replace"], replace="--replace" in args)
