"""`export`: a model as a TensorFlow SavedModel, an ONNX graph or a LiteRT flatbuffer, served without Keras.

An export is a directory, written atomically:

    model/ | model.onnx | model.tflite   the artifact (`Model.export` of Keras)
    tokenizer.json                      text models: the tokenizer (vocabulary included), as data
    export.json                         format, inputs and outputs (names, dtypes, shapes), what
                                        the inputs hold, library versions, sha256 of every file

The graph takes the pipeline's tensors: token ids `(batch, time)` int32, right-padded with 0
(encode text with the vocabulary in `tokenizer.json`), or raw series `(batch, time,
channels)` float32, left-padded with NaN (the model's fitted normaliser is inside the
graph). Outputs always carry names: a model with one output gives `{"output": …}`; a
`Forecaster` gives `{"mean", "scale"}` in the original units of its target channels (what
`forecast` returns before intervals are drawn). To export a series encoder alone, export
`model.encoder_model()`; to export step-by-step inference, `Streamer(model).export(…)`.

Formats (the runtimes that load them are in the `export` extra):
    tf_saved_model: `tf.saved_model.load(path / "model").serve(...)`, dynamic batch and time.
    onnx: `onnxruntime.InferenceSession(path / "model.onnx")`, dynamic batch and time.
    litert: `ai_edge_litert.interpreter.Interpreter(path / "model.tflite")`, built-in ops only
        (the stock interpreter runs it, no Flex delegate); batch size fixed (default 1, as on
        a device: TFLite lowers the recurrent loop to built-in ops only for a known batch),
        time dynamic.

`load_exported(path)` verifies the sha256 of every file and returns a callable that runs the
artifact in its own runtime (not Keras).

Backends: all three formats are built and tested on the TensorFlow backend. Checked by hand
once (Keras 3.15): on JAX `tf_saved_model` works too (ONNX would need `jax2onnx`, LiteRT is
TensorFlow or torch only); on torch `onnx` works (LiteRT would need `litert-torch`).
"""

import datetime
import json
import os
import pathlib
import shutil
import tempfile

import keras
import numpy as np

from rs3l_keras.validation import check_int
from rs3l_keras.version import __version__

__all__ = ["export", "load_exported", "verify_export"]

FORMATS = {"tf_saved_model": "model", "onnx": "model.onnx", "litert": "model.tflite"}
MANIFEST = "export.json"
TOKENIZER_FILE = "tokenizer.json"


def serving_model(model):
    """The functional Keras model that `export` writes: the model's inputs, named outputs
    (`{"output": y}` for a single output); a `Forecaster`'s outputs in original units."""
    from rs3l_keras.objectives.forecaster import Forecaster

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a Keras model (e.g. an rs3l_keras objective), received {type(model).__name__}."
        )
    if not model.built or getattr(model, "_inputs_struct", None) is None:
        raise ValueError(
            f"`model` must be a built functional model (every rs3l_keras objective is), received "
            f"{type(model).__name__} without an input structure."
        )
    inputs = keras.tree.map_structure(
        lambda t: keras.Input(shape=t.shape[1:], dtype=t.dtype, name=t.name), model._inputs_struct
    )
    outputs = model(inputs)
    if isinstance(model, Forecaster):  # normalised units → the targets' original units
        targets = list(model.target_channels)
        mean, std = model.normalizer.numpy_mean[targets], model.normalizer.numpy_std[targets]
        outputs = dict(outputs)
        outputs["mean"] = outputs["mean"] * std + mean
        if "scale" in outputs:
            outputs["scale"] = outputs["scale"] * std
    if not isinstance(outputs, dict):
        outputs = {"output": outputs}
    return keras.Model(inputs, outputs, name=f"{model.name}_serving")


def _input_specs(serving, batch_size):
    import tensorflow as tf

    def spec(t):
        return tf.TensorSpec((batch_size, *t.shape[1:]), t.dtype, name=t.name)

    return [keras.tree.map_structure(spec, serving._inputs_struct)]


def _describe(tensors):
    """`[{name, dtype, shape}]` of a structure of Keras tensors, in flattening order."""
    if isinstance(tensors, dict):
        items = sorted(tensors.items())
    else:
        items = [(t.name, t) for t in keras.tree.flatten(tensors)]
    return [{"name": name, "dtype": str(t.dtype), "shape": list(t.shape)} for name, t in items]


def _rename_onnx_outputs(path, names):
    """tf2onnx names graph outputs `Identity:0`, …; give them the serving model's names."""
    import onnx

    graph = onnx.load(path)
    if len(graph.graph.output) != len(names):
        raise RuntimeError(f"{path}: {len(graph.graph.output)} graph outputs for {len(names)} named outputs.")
    rename = {out.name: name for out, name in zip(graph.graph.output, names)}
    for node in graph.graph.node:
        node.output[:] = [rename.get(n, n) for n in node.output]
        node.input[:] = [rename.get(n, n) for n in node.input]
    for out in graph.graph.output:
        out.name = rename[out.name]
    onnx.save(graph, path)


def _inputs_note(tokenizer, serving):
    dtypes = {str(t.dtype) for t in keras.tree.flatten(serving._inputs_struct)}
    if tokenizer is not None or "int32" in dtypes:
        return (
            f"token ids int32 (sequences right-padded with 0); encode text with the vocabulary in {TOKENIZER_FILE}"
            + ("" if tokenizer is not None else " (none exported: the model came without one)")
        )
    return "raw series values float32 (sequences left-padded with NaN); normalisation is inside the graph"


def export(model, path, format="tf_saved_model", batch_size=None, tokenizer=None, verbose=False):
    """Exports `model` for serving without Keras.

    Args:
        model: a built Keras model: any rs3l_keras objective, a `FineTunedModel`, an
            encoder (`model.encoder_model()`), or a step graph (`Streamer.step_model()`).
        path: str or path of the export directory. Created; an existing export there is
            replaced atomically; any other existing non-empty folder is refused.
        format: `"tf_saved_model"` (default), `"onnx"` or `"litert"`.
        batch_size: int or None. Fixed batch size of the graph; None (default) is dynamic,
            except for `"litert"`, where it defaults to 1.
        tokenizer: the tokenizer to write beside the graph (default: `model.tokenizer`, if any).
        verbose: bool, default False. Keras' export messages.

    Returns:
        `pathlib.Path` of the export directory.

    Raises:
        RuntimeError: on a Keras backend other than TensorFlow (every format converts a
            TensorFlow graph); nothing is written.

    Example:
    >>> import numpy as np, rs3l_keras as rs3l, tempfile
    >>> clf = rs3l.finetune("gru-cpc-ucr", head="classification", num_classes=2)
    >>> out = rs3l.export(clf, tempfile.mkdtemp() + "/clf", format="onnx")
    >>> run = rs3l.load_exported(out)
    >>> run(features=np.zeros((3, 50, 1), "float32"))["output"].shape
    (3, 1)
    """
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {sorted(FORMATS)}, received {format!r}.")
    if keras.backend.backend() != "tensorflow":
        # Every format converts a TensorFlow graph (SavedModel, tf2onnx, the TFLite converter),
        # and only that path is checked against its runtime. Measured under torch: the
        # forecaster preset's ONNX fails in torch.onnx, SavedModel fails in torch.export, and
        # LiteRT needs another package (litert-torch).
        raise RuntimeError(
            f"`rs3l.export(format={format!r})` converts through TensorFlow, but the Keras backend is "
            f"{keras.backend.backend()!r}. Run it in a process started with KERAS_BACKEND=tensorflow: "
            "weights and presets saved on any backend load there."
        )
    if batch_size is not None:
        check_int(batch_size, "batch_size", 1, expected="a positive int or None")
    if format == "litert" and batch_size is None:
        batch_size = 1
    path = pathlib.Path(path).expanduser()
    if path.exists() and (not path.is_dir() or (any(path.iterdir()) and not (path / MANIFEST).exists())):
        raise FileExistsError(f"`path` {path} exists and is not an rs3l export; refusing to replace it.")
    serving = serving_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-"))
    try:
        artifact = staging / FORMATS[format]
        kwargs = {"input_signature": _input_specs(serving, batch_size), "verbose": verbose}
        if format == "litert":
            import tensorflow as tf

            # Built-in ops only: the stock interpreter (and a phone) runs the result.
            kwargs["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
        serving.export(str(artifact), format=format, **kwargs)
        outputs = _describe(serving.output)
        if format == "onnx":
            _rename_onnx_outputs(str(artifact), [o["name"] for o in outputs])
        tokenizer = tokenizer if tokenizer is not None else getattr(model, "tokenizer", None)
        if tokenizer is not None:
            config = keras.saving.serialize_keras_object(tokenizer)
            (staging / TOKENIZER_FILE).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
        manifest = {
            "format": format,
            "artifact": FORMATS[format],
            "model": type(model).__name__,
            "name": model.name,
            "inputs": _describe(serving._inputs_struct),
            "inputs_hold": _inputs_note(tokenizer, serving),
            "outputs": outputs,
            "batch_size": batch_size,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "versions": {"rs3l_keras": __version__, "keras": keras.__version__, "backend": keras.backend.backend()},
            "files": _hash_tree(staging),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        from rs3l_keras.zoo import hub

        if path.exists():
            hub._swap_directories(staging, path)  # staging now holds the previous export
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def _hash_tree(root):
    from rs3l_keras.zoo.hub import sha256_file

    root = pathlib.Path(root)
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def verify_export(path):
    """Checks every file of an export against `export.json`; returns the manifest.

    Raises:
        PresetIntegrityError: naming the file, when one is missing, added or altered.
    """
    from rs3l_keras.zoo.hub import PresetIntegrityError

    path = pathlib.Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise PresetIntegrityError(f"{path} is not an rs3l export: it has no {MANIFEST}.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    expected = manifest.get("files", {})
    actual = {k: v for k, v in _hash_tree(path).items() if k != MANIFEST}
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):
            raise PresetIntegrityError(
                f"{path / name}: sha256 {actual.get(name)} does not match {MANIFEST}'s {expected.get(name)} "
                "(missing, added or altered file)."
            )
    return manifest


def load_exported(path):
    """Verifies an export and returns `run(**inputs) -> {output name: numpy array}`, running
    the artifact in its own runtime: TensorFlow, onnxruntime or the LiteRT interpreter."""
    path = pathlib.Path(path)
    manifest = verify_export(path)
    artifact = str(path / manifest["artifact"])
    names = [o["name"] for o in manifest["outputs"]]
    if manifest["format"] == "tf_saved_model":
        import tensorflow as tf

        loaded = tf.saved_model.load(artifact)
        serve = loaded.signatures["serving_default"]

        def run(**inputs):
            return {k: v.numpy() for k, v in serve(**{k: tf.constant(v) for k, v in inputs.items()}).items()}

    elif manifest["format"] == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(artifact, providers=["CPUExecutionProvider"])

        def run(**inputs):
            return dict(zip(names, session.run(names, inputs)))

    else:
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=artifact)
        runner = interpreter.get_signature_runner()

        def run(**inputs):
            return {k: np.asarray(v) for k, v in runner(**inputs).items()}

    run.manifest = manifest
    return run
