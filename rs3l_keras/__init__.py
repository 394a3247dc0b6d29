"""rs3l_keras: self-supervised learning for recurrent networks, as a Keras 3 model zoo."""

from rs3l_keras.backbones import RNNBackbone
from rs3l_keras.data import CharTokenizer, Tokenizer, WordTokenizer
from rs3l_keras.objectives import (
    KLAnnealing,
    LanguageModel,
    MaskedLanguageModel,
    Objective,
    Seq2Seq,
    SequenceVAE,
)
from rs3l_keras.version import __version__
from rs3l_keras.zoo import (
    PresetIntegrityError,
    UnknownPresetError,
    list_models,
    load_pretrained,
    pack_preset,
    preset_metadata,
    save_pretrained,
    update_metadata,
    verify_preset,
)

__all__ = [
    "CharTokenizer",
    "KLAnnealing",
    "LanguageModel",
    "MaskedLanguageModel",
    "Objective",
    "RNNBackbone",
    "Seq2Seq",
    "SequenceVAE",
    "Tokenizer",
    "WordTokenizer",
    "PresetIntegrityError",
    "UnknownPresetError",
    "__version__",
    "list_models",
    "load_pretrained",
    "pack_preset",
    "preset_metadata",
    "save_pretrained",
    "update_metadata",
    "verify_preset",
]
