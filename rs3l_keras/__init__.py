"""rs3l_keras: self-supervised learning for recurrent networks, as a Keras 3 model zoo."""

from rs3l_keras import (
    backend_logs,  # noqa: F401  first: Keras without TensorFlow's start-up noise
    datasets,
)
from rs3l_keras.backbones import RNNBackbone
from rs3l_keras.data import CharTokenizer, Tokenizer, WordTokenizer
from rs3l_keras.data.tokenizers import SentencePieceTokenizer
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
    finetune_language_model,
    fit_classifier,
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
from rs3l_keras.streaming import AnomalyStreamer, ForecastStreamer, Streamer
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
    "AnomalyStreamer",
    "CPC",
    "ContrastiveEncoder",
    "Forecaster",
    "ForecastStreamer",
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
    "finetune_language_model",
    "fit_classifier",
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
    "SentencePieceTokenizer",
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
