"""Model cards: each preset's README.md, generated from its metadata (never by hand)."""

import json


def _table(rows):
    lines = ["| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return f"`{json.dumps(value, sort_keys=True)}`"
    return str(value)


def render(meta):
    """Markdown model card for a preset's metadata dict."""
    name = meta.get("name", "preset")
    out = [f"# {name}", ""]
    if meta.get("description"):
        out += [meta["description"], ""]
    out += ["## Model", ""]
    rows = [("objective", f"`{meta.get('objective')}`"), ("parameters", f"{meta.get('num_parameters', 0):,}")]
    for key, value in sorted((meta.get("backbone") or {}).items()):
        if value is not None:
            rows.append((key, _fmt(value)))
    if meta.get("sequence_length"):
        rows.append(("trained sequence length", meta["sequence_length"]))
    out += [_table(rows), ""]
    if meta.get("metrics"):
        out += ["## Metrics", "", _table([(k, _fmt(v)) for k, v in sorted(meta["metrics"].items())]), ""]
    if meta.get("anomaly_threshold"):  # the stored threshold: its value, rule and how the rule was chosen
        threshold = meta["anomaly_threshold"]
        out += ["## Anomaly threshold", "", _table([(k, _fmt(v)) for k, v in sorted(threshold.items())]), ""]
    if meta.get("baselines"):
        out += ["## Reference points", "", _table([(k, _fmt(v)) for k, v in sorted(meta["baselines"].items())]), ""]
    if meta.get("downstream"):
        out += ["## Downstream results", "", _table([(k, _fmt(v)) for k, v in sorted(meta["downstream"].items())]), ""]
    if meta.get("benchmark_table"):  # a Markdown table written by the recipe's benchmark
        out += ["## Benchmark", "", meta["benchmark_table"].rstrip(), ""]
    data = meta.get("data")
    if data:
        out += ["## Training data", "", _table([(k, _fmt(v)) for k, v in sorted(data.items())]), ""]
    training = meta.get("training")
    if training:
        out += ["## Training", "", _table([(k, _fmt(v)) for k, v in sorted(training.items())]), ""]
    if meta.get("recipe"):
        out += ["## Reproduce", "", "```bash", meta["recipe"], "```", ""]
        if meta.get("command") and meta["command"] != meta["recipe"]:
            out += ["which runs:", "", "```bash", meta["command"], "```", ""]
    if meta.get("evaluation"):
        out += [f"Evaluation: {meta['evaluation']}.", ""]
    if meta.get("samples"):
        out += ["## Samples", ""]
        for sample in meta["samples"]:
            out += ["```", sample.rstrip(), "```", ""]
    if meta.get("intended_use"):
        out += ["## Intended use and limits", "", meta["intended_use"], ""]
    if meta.get("license"):
        out += ["## Licence", "", meta["license"], ""]
    versions = meta.get("versions")
    if versions:
        out += ["## Software", "", ", ".join(f"{k} {v}" for k, v in sorted(versions.items())), ""]
    out += [f"Created {meta.get('created', '?')}. Every file is pinned by sha256 in `metadata.json`.", ""]
    return "\n".join(out)
