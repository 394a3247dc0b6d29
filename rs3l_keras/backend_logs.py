"""Imports Keras (and with it the backend) without TensorFlow's start-up log lines.

TensorFlow 2.21 prints two C++ lines at import, twice, before absl logging is set up, so
`TF_CPP_MIN_LOG_LEVEL` cannot silence them: "WARNING: All log messages before
absl::InitializeLog() ..." and the oneDNN notice of `port.cc`. They say nothing about the
user's run but fill the CLI, the demo and notebook outputs. While Keras is first imported,
standard error goes to a temporary file; afterwards every line of it is written back except
those (`NOISE`), so real warnings and errors still show. Imported first by `rs3l_keras`.
On the JAX and torch backends TensorFlow loads later (with the first `tf.data` pipeline):
that import is quieted the same way, by a finder that wraps it once.

Not quieted: TensorFlow 2.21's oneDNN `E0000 ... util.cc] oneDNN supports DT_BOOL/DT_INT64
only on platforms with AVX-512` line, printed once at run time by some TensorFlow-backend ops
(masked or integer inputs) even on AVX-512 machines; only `TF_CPP_MIN_LOG_LEVEL=3`, which
also hides real errors, or `TF_ENABLE_ONEDNN_OPTS=0` (other kernels) silence it.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

#: The start-up lines dropped; anything else printed during the import is kept.
NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} [\d:. ]+\d+ (port|cpu_feature_guard)\.cc:\d+\] .*"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow .*)$"
)


@contextlib.contextmanager
def _quiet_stderr():
    """Standard error (the file descriptor: C++ writes there) captured, written back without `NOISE`."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. some notebook kernels)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines() if not NOISE.match(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` like the other finders, and runs its import under `_quiet_stderr`
    (then leaves `sys.meta_path`). Keras asks `find_spec("tensorflow")` without importing, so
    the finder stays until the import itself runs."""

    _finding = False

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._finding = False
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            exec_module = spec.loader.exec_module

            def quiet_exec_module(module):
                if self in sys.meta_path:
                    sys.meta_path.remove(self)
                with _quiet_stderr():
                    exec_module(module)

            spec.loader.exec_module = quiet_exec_module
        return spec


def import_keras_quietly():
    """`import keras` with TensorFlow's start-up noise (only) removed from standard error; a
    TensorFlow imported later (JAX or torch backend) is quieted too."""
    if "tensorflow" not in sys.modules:
        sys.meta_path.insert(0, _QuietTensorFlowImport())
    if "keras" in sys.modules:
        return
    with _quiet_stderr():
        import keras  # noqa: F401


import_keras_quietly()
