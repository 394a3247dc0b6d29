"""Input pipelines: tokenizers, windowing and the offline datasets."""

from rs3l_keras.data.tokenizers import CharTokenizer, SentencePieceTokenizer, Tokenizer, WordTokenizer

__all__ = ["CharTokenizer", "SentencePieceTokenizer", "Tokenizer", "WordTokenizer"]
