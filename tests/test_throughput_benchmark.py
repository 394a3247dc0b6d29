"""`benchmarks/throughput.py --objective`: one objective at tiny sizes runs ours and its plain
PyTorch twin in one command, and ours takes the fused torch kernels (backbone and decoder)."""

import json
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="the plain PyTorch twin needs torch (the torch extra)")

SCRIPT = pathlib.Path(__file__).parents[1] / "benchmarks" / "throughput.py"


def _run(out, *args):
    """The script at tiny sizes on one thread, writing `out`: (its record, the finished process)."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--size", "tiny", *args, "--threads", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done


def test_one_objective_on_tiny_sizes(tmp_path):
    record, _ = _run(tmp_path / "vae.json", "--objective", "vae", "--arms", "torch,ours-torch", "--seconds", "0.5")
    assert record["objective"] == "vae" and record["threads"] == 1
    rows = {row["arm"]: row for row in record["summary"]}
    assert set(rows) == {"torch", "ours-torch"} and not any("error" in row for row in rows.values()), rows
    assert rows["torch"]["vs_torch"] == 1.0 and rows["ours-torch"]["vs_torch"] > 0
    ours = next(r for r in record["results"] if r["arm"] == "ours-torch")
    assert ours["fused_stack_calls"] > 0 and ours["fused_layer_calls"] > 0  # encoder stack and decoder fused
    assert ours["input"] == "rs3l input pipeline (tf.data)"


def test_unknown_objective_is_a_clear_error():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--objective", "lm,bert"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "argument --objective: expected 'all' or names from lm, mlm, seq2seq" in done.stderr
    assert "received 'lm,bert'" in done.stderr


def test_paired_alternates_steps_in_one_process(tmp_path):
    record, done = _run(tmp_path / "paired.json", "--objective", "ntxent,gan", "--paired", "torch", "--pairs", "3")
    assert record["interleave"] == "step" and record["pairs"] == 3 and record["threads"] == 1
    rows = {row["objective"]: row for row in record["paired"]}
    assert set(rows) == {"ntxent", "gan"} and not any("error" in row for row in rows.values()), rows
    for row in rows.values():
        assert row["backend"] == "torch" and len(row["torch_steps_ms"]) == len(row["ours_steps_ms"]) == 3
        pairs = [t / o for t, o in zip(row["torch_steps_ms"], row["ours_steps_ms"])]
        assert row["vs_torch"] == pytest.approx(sorted(pairs)[1]) and row["vs_torch"] > 0  # median of 3 pairs
        assert row["fused_calls_per_ours_step"]["stack"] > 0  # ours runs PyTorch's kernel
    assert "| ntxent | " in done.stdout and "| gan | " in done.stdout
