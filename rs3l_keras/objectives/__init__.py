from rs3l_keras.objectives.language_model import LanguageModel
from rs3l_keras.objectives.masked_language_model import MaskedLanguageModel
from rs3l_keras.objectives.objective import Objective

__all__ = ["LanguageModel", "MaskedLanguageModel", "Objective"]
