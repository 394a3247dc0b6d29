"""Shared checks every objective must pass (as KerasHub's `run_task_test`)."""

import pathlib

import keras
import numpy as np


def load_script(path):
    """A script that is not part of the package (a recipe, a benchmark) as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(pathlib.Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_config_round_trip(model):
    """`get_config` → `from_config` rebuilds the same architecture and tokenizer."""
    config = model.get_config()
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert getattr(clone, "tokenizer", None) == getattr(model, "tokenizer", None)
    return clone


def run_saving_round_trip(model, inputs, tmp_path):
    """`.keras` save → load (safe mode) reproduces the outputs exactly."""
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    before, after = model.predict_on_batch(inputs), loaded.predict_on_batch(inputs)
    if not isinstance(before, dict):
        before, after = {"output": before}, {"output": after}
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(before[key]), keras.ops.convert_to_numpy(after[key]), err_msg=key
        )
    return loaded


def run_learns(model, data, steps=40, batch_size=32, min_drop=1.0, **fit_kwargs):
    """Training on real data lowers the loss clearly: the mean of the last 5 batch losses
    is at least `min_drop` below the first batch's."""
    losses = []
    callback = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(float(logs["loss"])))
    extra = list(fit_kwargs.pop("callbacks", []))
    model.fit(
        data,
        epochs=1,
        steps_per_epoch=steps,
        batch_size=batch_size,
        verbose=0,
        callbacks=[callback, *extra],
        **fit_kwargs,
    )
    # Keras reports the running mean; recover per-batch losses from it.
    running = np.array(losses)
    per_batch = running * np.arange(1, len(running) + 1) - np.concatenate(
        [[0], running[:-1] * np.arange(1, len(running))]
    )
    first, last = per_batch[0], per_batch[-5:].mean()
    assert last < first - min_drop, f"loss did not fall clearly: first {first:.3f}, last-5 mean {last:.3f}"
    return first, last
