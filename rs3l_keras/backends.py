"""Which Keras backend a run uses: `auto` picks the fastest path installed for the device.

Keras fixes its backend when it is first imported, so the choice is made before that:
`rs3l_keras/__init__.py` imports this module first, and importing it runs
`configure_from_command_line()` (at the end of this file). It acts only when the program is the `rs3l` command or `python -m rs3l_keras.demo`
(read from `sys.orig_argv`), or when `RS3L_BACKEND` is set (for scripts and notebooks:
`RS3L_BACKEND=auto python my_script.py`); anything else imports Keras with its own default
(`KERAS_BACKEND`, else TensorFlow), as before. `tf.data` stays the input pipeline on every
backend, and a model saved on one backend loads on the others (same weights, same config).

`auto`, in order (measured in `benchmarks/RESULTS.md`, "Speed"):
1. `KERAS_BACKEND` when set: an explicit choice is kept.
2. A GPU visible to JAX (a CUDA plugin installed): `jax` (our LSTM stack as one cuDNN call:
   1.01× plain PyTorch on an H100, where our torch path reached 0.62×).
3. torch installed: `torch` (PyTorch's own RNN kernels over the Keras weights: the fast path on
   CPU, 0.86× plain PyTorch on the LSTM LM against 0.38× on JAX and 0.27× on TensorFlow, and
   on a CUDA GPU when JAX has none).
4. jax installed: `jax`; else `tensorflow`.
The TensorFlow-only `--distribute` strategies (`mirrored`, `multiworker`, `tpu`) make `auto`
choose `tensorflow`, and `jax-data-parallel` chooses `jax`.
"""

import importlib.util
import logging
import os
import sys

#: The values of `--backend` (and of `RS3L_BACKEND`).
CHOICES = ("auto", "tensorflow", "jax", "torch")
#: `--distribute` strategies that exist on one backend only.
DISTRIBUTE_BACKEND = {
    "mirrored": "tensorflow",
    "multiworker": "tensorflow",
    "tpu": "tensorflow",
    "jax-data-parallel": "jax",
}
#: `rs3l` sub-commands that run a model (and take `--backend`).
MODEL_COMMANDS = ("generate", "evaluate", "plot", "pretrain")

_selected = None  # (backend, reason) chosen by `select` before Keras loaded


def _installed(module):
    return importlib.util.find_spec(module) is not None


def _jax_gpu():
    """A GPU that JAX can use: only asked when a JAX CUDA plugin is installed (importing jax
    on a CPU-only machine to find out would cost a second for nothing)."""
    if not _installed("jax") or not any(_installed(p) for p in ("jax_cuda12_plugin", "jax_cuda13_plugin")):
        return False
    import jax

    return jax.default_backend() == "gpu"


def _torch_device():
    import torch

    return "CUDA GPU" if torch.cuda.is_available() else "CPU"


def fastest_installed():
    """`(backend, reason)`: the fastest installed path for this machine's device (see the
    module docstring for the order and the measurements behind it)."""
    if _jax_gpu():
        return "jax", "auto: fastest installed for a GPU, the LSTM stack as one cuDNN call"
    if _installed("torch"):
        device = _torch_device()
        return "torch", f"auto: fastest installed for {device}, PyTorch's own RNN kernels"
    if _installed("jax"):
        return "jax", "auto: torch is not installed; `pip install rs3l-keras[torch]` is faster on CPU"
    return "tensorflow", "auto: neither torch nor jax is installed; `pip install rs3l-keras[torch]` is faster on CPU"


def resolve(choice="auto", distribute=None):
    """`(backend, reason)` for `choice` (one of `CHOICES`), without importing Keras."""
    from rs3l_keras.validation import check_one_of

    check_one_of(choice, "backend", list(CHOICES))
    if choice != "auto":
        if not _installed(choice):
            extra = {"tensorflow": "tf-cpu"}.get(choice, choice)
            raise ValueError(
                f"`backend` {choice!r} is not installed: `pip install rs3l-keras[{extra}]`, or use --backend auto."
            )
        return choice, "as requested"
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], "auto: KERAS_BACKEND is set"
    if distribute in DISTRIBUTE_BACKEND:
        return DISTRIBUTE_BACKEND[distribute], f"auto: --distribute {distribute} runs on it"
    return fastest_installed()


def loaded_backend():
    """The backend of the Keras already imported in this process, or None."""
    if "keras" not in sys.modules:
        return None
    import keras

    return keras.backend.backend()


def select(choice="auto", distribute=None):
    """Chooses the backend for this process and returns `(backend, reason)`.

    Before Keras is imported: sets `KERAS_BACKEND`. After (e.g. `rs3l_keras.cli.main` called
    from Python): `auto` keeps the loaded backend, and an explicit different backend is an
    error (Keras cannot change backend inside a process).
    """
    global _selected
    loaded = loaded_backend()
    if loaded is None:
        backend, reason = resolve(choice, distribute)
        os.environ["KERAS_BACKEND"] = backend
        _selected = (backend, reason)
        return _selected
    if choice == "auto" or choice == loaded:
        if _selected is not None and _selected[0] == loaded:
            return _selected
        return loaded, "Keras was already imported in this process with it"
    from rs3l_keras.validation import check_one_of

    check_one_of(choice, "backend", list(CHOICES))
    raise ValueError(
        f"`backend` {choice!r} cannot be used here: Keras is already loaded with the {loaded!r} backend in this "
        "process (a backend is fixed when Keras is first imported). Run `rs3l` as a command, or set "
        "KERAS_BACKEND before importing Keras."
    )


def announcement(backend, reason):
    """The one line a run prints about its backend."""
    return f"Keras backend: {backend} ({reason})"


def _option(args, name):
    """The value of `--name VALUE` / `--name=VALUE` in `args` (last wins), else None."""
    value = None
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(name + "="):
            value = arg[len(name) + 1 :]
    return value


def _program_args():
    """The arguments of this process when it is the `rs3l` command or the demo, else None."""
    if os.path.basename(sys.argv[0] or "") == "rs3l":
        return list(sys.argv[1:])
    argv = list(getattr(sys, "orig_argv", []))
    for i in range(len(argv) - 1):
        if argv[i] == "-m" and argv[i + 1] in ("rs3l_keras.cli", "rs3l_keras.demo"):
            return argv[i + 2 :] if argv[i + 1] == "rs3l_keras.cli" else ["demo", *argv[i + 2 :]]
    return None


def configure_from_command_line():
    """Called by `rs3l_keras/__init__.py` before Keras is imported (see the module docstring).
    Invalid values are left for the command's own argument parser to report."""
    if "keras" in sys.modules:
        return None
    args = _program_args()
    if args is not None:
        command = next((a for a in args if not a.startswith("-")), None)
        if command not in (*MODEL_COMMANDS, "demo"):
            return None
        choice = _option(args, "--backend") or "auto"
        distribute = _option(args, "--distribute")
        try:
            return select(choice, distribute)
        except ValueError:
            return None  # the command's own parser reports it, naming --backend
    if not os.environ.get("RS3L_BACKEND"):
        return None
    choice = os.environ["RS3L_BACKEND"]
    if choice not in CHOICES:
        raise ValueError(f"The environment variable RS3L_BACKEND must be one of {list(CHOICES)}, received {choice!r}.")
    backend, reason = select(choice)
    logging.getLogger("rs3l_keras").info(announcement(backend, f"RS3L_BACKEND={choice}; {reason}"))
    return backend, reason


configure_from_command_line()  # on import: before `rs3l_keras` imports Keras
