from rs3l_keras.objectives.contrastive import ContrastiveEncoder
from rs3l_keras.objectives.cpc import CPC
from rs3l_keras.objectives.forecaster import Forecaster
from rs3l_keras.objectives.global_forecaster import GlobalForecaster
from rs3l_keras.objectives.language_model import LanguageModel
from rs3l_keras.objectives.masked_language_model import MaskedLanguageModel
from rs3l_keras.objectives.objective import Objective
from rs3l_keras.objectives.recurrent_gan import RecurrentGAN
from rs3l_keras.objectives.seq2seq import Seq2Seq
from rs3l_keras.objectives.sequence_autoencoder import SequenceAutoencoder
from rs3l_keras.objectives.sequence_vae import KLAnnealing, SequenceVAE

__all__ = [
    "CPC",
    "ContrastiveEncoder",
    "Forecaster",
    "GlobalForecaster",
    "KLAnnealing",
    "LanguageModel",
    "MaskedLanguageModel",
    "Objective",
    "RecurrentGAN",
    "Seq2Seq",
    "SequenceAutoencoder",
    "SequenceVAE",
]
