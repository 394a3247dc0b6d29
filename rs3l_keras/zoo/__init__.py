"""The model zoo: registry, verified loading and atomic saving of presets."""

from rs3l_keras.zoo.hub import (
    PresetIntegrityError,
    UnknownPresetError,
    list_models,
    load_pretrained,
    pack_preset,
    preset_metadata,
    save_pretrained,
    update_metadata,
    upload_preset,
    verify_preset,
)

__all__ = [
    "PresetIntegrityError",
    "UnknownPresetError",
    "list_models",
    "load_pretrained",
    "pack_preset",
    "preset_metadata",
    "save_pretrained",
    "update_metadata",
    "upload_preset",
    "verify_preset",
]
