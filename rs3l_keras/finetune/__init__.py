"""Fine-tuning: downstream heads on pretrained backbones, ULMFiT tools, and probes."""

from rs3l_keras.finetune.model import AttentionPooling, FineTunedModel, finetune
from rs3l_keras.finetune.probes import cluster, embed, linear_probe
from rs3l_keras.finetune.ulmfit import (
    DiscriminativeAdam,
    GradualUnfreezing,
    SlantedTriangular,
    compile_ulmfit,
    discriminative_optimizer,
    finetune_language_model,
    fit_classifier,
)

__all__ = [
    "AttentionPooling",
    "DiscriminativeAdam",
    "FineTunedModel",
    "GradualUnfreezing",
    "SlantedTriangular",
    "cluster",
    "compile_ulmfit",
    "discriminative_optimizer",
    "embed",
    "finetune",
    "finetune_language_model",
    "fit_classifier",
    "linear_probe",
]
