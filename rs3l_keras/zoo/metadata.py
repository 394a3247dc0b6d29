"""The metadata every zoo preset records, built in one place by the scripts that write presets.

`save_pretrained` adds what it measures itself (`WRITTEN_KEYS`); a recipe gives the rest
(`RECIPE_KEYS`) through `zoo_metadata`, which refuses a preset that would lack any of them.
"""

#: Keys a recipe must give; `training` also records `machine` (filled in by `zoo_metadata`).
RECIPE_KEYS = ("description", "recipe", "command", "data", "training", "headline_metric")
#: Keys `save_pretrained` writes itself.
WRITTEN_KEYS = ("objective", "num_parameters", "versions", "created", "metrics", "files", "format_version")
#: Every key a zoo preset's `metadata.json` holds.
REQUIRED_KEYS = RECIPE_KEYS + WRITTEN_KEYS


def machine():
    """The machine a preset is trained on, as every preset records it (`training.machine`)."""
    import os
    import platform

    import keras

    return f"{platform.machine()} CPU x{os.cpu_count()} ({keras.backend.backend()} backend)"


def zoo_metadata(**metadata):
    """`metadata` for `save_pretrained` of a zoo preset: checks that every key of
    `RECIPE_KEYS` is given (a ValueError names the missing ones) and records `machine()` in
    `training` unless it names the machine already."""
    missing = [key for key in RECIPE_KEYS if metadata.get(key) in (None, "", {})]
    if missing:
        raise ValueError(f"A zoo preset's metadata needs {list(RECIPE_KEYS)}: missing {missing}.")
    metadata["training"] = {"machine": machine(), **metadata["training"]}
    return metadata
