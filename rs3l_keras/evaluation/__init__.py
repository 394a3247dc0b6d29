"""Evaluation protocols from published papers, reproduced with Keras models."""

from rs3l_keras.evaluation.timegan import discriminative_score, predictive_score

__all__ = ["discriminative_score", "predictive_score"]
