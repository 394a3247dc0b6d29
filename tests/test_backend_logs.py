"""Quiet by default: importing rs3l_keras, and TensorFlow loading later for `tf.data` on the
JAX or torch backend, print none of TensorFlow's start-up lines, while real warnings show."""

import importlib.util
import os
import subprocess
import sys

import pytest

from rs3l_keras.backend_logs import NOISE

SCRIPT = """
import os, warnings
import rs3l_keras
import tensorflow as tf
assert int(tf.data.Dataset.range(4).reduce(tf.constant(0, tf.int64), lambda a, b: a + b)) == 6
warnings.warn("a real warning")
os.write(2, b"a real line on the file descriptor\\n")
"""


@pytest.mark.parametrize("backend", ["tensorflow", "torch"])  # torch: TensorFlow loads later
def test_no_tensorflow_start_up_lines_and_real_warnings_kept(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"the {backend} backend is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "RS3L_BACKEND")}
    env["KERAS_BACKEND"] = backend
    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert not [line for line in lines if NOISE.match(line) or "absl::InitializeLog" in line], run.stderr
    assert any("UserWarning: a real warning" in line for line in lines), run.stderr
    assert "a real line on the file descriptor" in lines, run.stderr
