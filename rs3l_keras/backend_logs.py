"""Imports Keras (and with it the backend) without TensorFlow's start-up log lines.

TensorFlow 2.21 prints two C++ lines at import, twice, before absl logging is set up, so
`TF_CPP_MIN_LOG_LEVEL` cannot silence them: "WARNING: All log messages before
absl::InitializeLog() ..." and the oneDNN notice of `port.cc`. They say nothing about the
user's run but fill the CLI, the demo and notebook outputs. While Keras is first imported,
standard error goes to a temporary file; afterwards every line of it is written back except
those (`NOISE`), so real warnings and errors still show. Imported first by `rs3l_keras`.
"""

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


def import_keras_quietly():
    """`import keras` with TensorFlow's start-up noise (only) removed from standard error."""
    if "keras" in sys.modules:
        return
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. some notebook kernels)
        import keras  # noqa: F401

        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), fd)
        try:
            import keras  # noqa: F401
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines() if not NOISE.match(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")


import_keras_quietly()
