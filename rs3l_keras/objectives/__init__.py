from rs3l_keras.objectives.language_model import LanguageModel
from rs3l_keras.objectives.objective import Objective

__all__ = ["LanguageModel", "Objective"]
