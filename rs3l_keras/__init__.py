"""rs3l_keras: self-supervised learning for recurrent networks, as a Keras 3 model zoo."""

from rs3l_keras import datasets
from rs3l_keras.backbones import RNNBackbone
from rs3l_keras.data import CharTokenizer, Tokenizer, WordTokenizer
from rs3l_keras.finetune import (
    DiscriminativeAdam,
    FineTunedModel,
    GradualUnfreezing,
    SlantedTriangular,
    cluster,
    compile_ulmfit,
    discriminative_optimizer,
    embed,
    finetune,
    linear_probe,
)
from rs3l_keras.objectives import (
    CPC,
    ContrastiveEncoder,
    Forecaster,
    KLAnnealing,
    LanguageModel,
    MaskedLanguageModel,
    Objective,
    RecurrentGAN,
    Seq2Seq,
    SequenceAutoencoder,
    SequenceVAE,
)
from rs3l_keras.serving import export, load_exported, verify_export
from rs3l_keras.streaming import Streamer
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
    upload_preset,
    verify_preset,
)

__all__ = [
    "CPC",
    "ContrastiveEncoder",
    "Forecaster",
    "DiscriminativeAdam",
    "FineTunedModel",
    "GradualUnfreezing",
    "SlantedTriangular",
    "cluster",
    "compile_ulmfit",
    "datasets",
    "discriminative_optimizer",
    "embed",
    "export",
    "finetune",
    "linear_probe",
    "CharTokenizer",
    "KLAnnealing",
    "LanguageModel",
    "MaskedLanguageModel",
    "Objective",
    "RNNBackbone",
    "RecurrentGAN",
    "Seq2Seq",
    "SequenceAutoencoder",
    "SequenceVAE",
    "Streamer",
    "Tokenizer",
    "WordTokenizer",
    "PresetIntegrityError",
    "UnknownPresetError",
    "__version__",
    "list_models",
    "load_exported",
    "load_pretrained",
    "pack_preset",
    "preset_metadata",
    "save_pretrained",
    "update_metadata",
    "upload_preset",
    "verify_export",
    "verify_preset",
]
