"""`LanguageModel`: next-token prediction, L = −(1/T) Σ_t log P(x_t | x_<t)."""

import math

import keras
import numpy as np
from keras import ops

from rs3l_keras import progress
from rs3l_keras.backbones.rnn_backbone import check_backbone
from rs3l_keras.data import windowing
from rs3l_keras.data.tokenizers import PAD_ID
from rs3l_keras.metrics import BitsPerToken, Perplexity
from rs3l_keras.objectives.objective import Objective, check_self_supervised_inputs
from rs3l_keras.validation import check_int, check_number, check_positive_int


@keras.saving.register_keras_serializable(package="rs3l_keras")
class TiedLogits(keras.layers.Layer):
    """Output layer that shares a token embedding E (vocabulary, d): logits = h Eᵀ + b.

    Owns only the bias; `tie(embedding_layer)` names the embedding whose matrix it reads. The
    embedding stays a weight of the backbone (saved once, trained by both uses).
    Reference: Press & Wolf (2017), Using the output embedding to improve language models.
    """

    def __init__(self, vocabulary_size, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        object.__setattr__(self, "_tied_embedding", None)  # not tracked: the backbone owns it

    def tie(self, embedding_layer):
        object.__setattr__(self, "_tied_embedding", embedding_layer)

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(self.vocabulary_size,), initializer="zeros", name="bias")

    def call(self, hidden):
        if self._tied_embedding is None:
            raise ValueError("TiedLogits has no embedding: call `tie(embedding_layer)` first.")
        matrix = ops.cast(self._tied_embedding.embeddings, hidden.dtype)  # (V, d)
        return ops.matmul(hidden, ops.transpose(matrix)) + ops.cast(self.bias, hidden.dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.vocabulary_size)

    def get_config(self):
        config = super().get_config()
        config["vocabulary_size"] = self.vocabulary_size
        return config


@keras.saving.register_keras_serializable(package="rs3l_keras")
class LanguageModel(Objective):
    """Autoregressive language model on a unidirectional `RNNBackbone`.

    Loss: L = −(1/T) Σ_t log P(x_t | x_<t), the mean next-token cross-entropy (padding id 0
    ignored). Metrics: perplexity and bits per token (= bits per character for a char
    tokenizer). Reference: Mikolov et al. (2010); Graves (2013); Howard & Ruder (2018).

    Args:
        backbone: `RNNBackbone` with token input, unidirectional.
        tokenizer: `CharTokenizer`/`WordTokenizer` or None. Travels with the model (config
            and `.keras`), so `fit`, `evaluate` and `generate` accept raw strings.
        sequence_length: int, default 128. Window length used when `fit` cuts text.
        tie_embeddings: bool, default False. Share the token embedding with the output layer
            (Press & Wolf, 2017; AWD-LSTM): logits = (h P) Eᵀ + b, with P a projection from
            `hidden_dim` to `embedding_dim` when they differ. Fewer parameters, lower held-out
            perplexity at the same size.

    Input: token_ids (batch, time) int32. Output: logits (batch, time, vocabulary_size).

    Example:
    >>> from rs3l_keras import CharTokenizer, RNNBackbone
    >>> tok = CharTokenizer.fit(["to be or not to be, that is the question"])
    >>> lm = LanguageModel(RNNBackbone(tok.vocabulary_size, hidden_dim=16), tok, sequence_length=8)
    >>> lm.compile()
    >>> history = lm.fit(["to be or not to be, that is the question"] * 4, epochs=1, verbose=0)
    >>> isinstance(lm.generate("to ", max_length=5, seed=0), str)
    True
    """

    pretrain_name = "language-model"
    pretrain_options = ("sequence_length",)
    train_metric = ("bits_per_token", "train_bits_per_char_last_epoch")
    headline_metric = "heldout_bits_per_char"
    headline_tolerance = (0.01, 0.0)

    def __init__(self, backbone, tokenizer=None, sequence_length=128, tie_embeddings=False, **kwargs):
        check_backbone(backbone, "token", tokenizer=tokenizer, bidirectional=False)  # predicts from the left only
        check_positive_int(sequence_length, "sequence_length")

        if tie_embeddings not in (True, False):
            raise ValueError(f"`tie_embeddings` must be True or False, received {tie_embeddings!r}.")

        # === Layers ===
        self.backbone = backbone
        self.lm_projection = None
        if tie_embeddings:
            if backbone.hidden_dim != backbone.embedding_dim:
                self.lm_projection = keras.layers.Dense(backbone.embedding_dim, use_bias=False, name="lm_projection")
            self.lm_head = TiedLogits(backbone.vocabulary_size, dtype="float32", name="lm_head")
            self.lm_head.tie(backbone.token_embedding)
        else:
            self.lm_head = keras.layers.Dense(backbone.vocabulary_size, dtype="float32", name="lm_head")

        # === Functional graph ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        hidden = backbone(token_ids)["sequence_output"]  # (B, T, H)
        logits = self.logits(hidden)  # (B, T, V)
        super().__init__(inputs=token_ids, outputs=logits, tokenizer=tokenizer, **kwargs)

        # === Config ===
        self.sequence_length = sequence_length
        self.tie_embeddings = tie_embeddings

    def logits(self, hidden):
        """Top recurrent states (..., hidden_dim) → next-token logits (..., vocabulary_size)."""
        if self.lm_projection is not None:
            hidden = self.lm_projection(hidden)
        return self.lm_head(hidden)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "tie_embeddings": self.tie_embeddings,
            }
        )
        return config

    def default_loss(self):
        """Sparse cross-entropy from logits, padding ignored."""
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=PAD_ID)

    def default_metrics(self):
        return [Perplexity(), BitsPerToken()]

    def make_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Text, token ids or a `tf.data.Dataset` → batches of (inputs, next-token targets)."""
        check_self_supervised_inputs(self, x, y, "text, token ids or a tf.data.Dataset")
        return windowing.lm_dataset(
            x,
            self.tokenizer,
            self.sequence_length,
            batch_size=batch_size or 64,
            shuffle=shuffle,
            seed=seed,
            epoch=epoch,
        )

    # -- evaluation on long text --------------------------------------------------------
    def score_text(self, text, window=256, context=64, batch_size=64, verbose="auto"):
        """Held-out negative log-likelihood of a long text, in bits.

        The text is cut into overlapping windows; each character is scored once, with at
        least `context` tokens of left context (except at the very start). `verbose`:
        progress bar over the batches, `"auto"` (on a terminal only), 1 or 0.

        Returns:
            dict with `bits_per_char`, `bits_per_token`, `perplexity` (per token),
            `num_chars` and `num_tokens` scored.
        """
        self._require_tokenizer("score_text")
        ids = self.tokenizer.encode(text)
        inputs, targets, weights = windowing.scoring_windows(ids, window, context)
        total = 0.0
        rows = min(batch_size, len(inputs))
        for start in progress.track(range(0, len(inputs), batch_size), "Scoring text", verbose=verbose):
            batch = inputs[start : start + batch_size]
            n = len(batch)  # the last batch is padded to the others' shape: one compiled function
            batch = np.concatenate([batch, np.zeros((rows - n, batch.shape[1]), batch.dtype)]) if n < rows else batch
            logits = np.asarray(self.predict_on_batch(batch), np.float64)[:n]
            logits -= logits.max(axis=-1, keepdims=True)
            log_norm = np.log(np.exp(logits).sum(axis=-1))
            picked = np.take_along_axis(logits, targets[start : start + batch_size, :, None], -1)[..., 0]
            total += float(((log_norm - picked) * weights[start : start + batch_size]).sum())
        num_tokens = int(weights.sum())
        scored = self.tokenizer.decode(ids[1:]) if self.tokenizer.level != "char" else None
        num_chars = num_tokens if scored is None else len(scored)
        bits = total / math.log(2.0)
        return {
            "bits_per_char": bits / num_chars,
            "bits_per_token": bits / num_tokens,
            "perplexity": math.exp(total / num_tokens),
            "num_chars": num_chars,
            "num_tokens": num_tokens,
        }

    # -- sampling -----------------------------------------------------------------------
    def heldout_report(self, text, num_lines=500, compare_with=None):
        """Bits per character of held-out text (`score_text`; `num_lines`, `compare_with`
        are not used)."""
        scored = self.score_text(text)
        return {
            "metrics": {
                "heldout_bits_per_char": scored["bits_per_char"],
                "heldout_perplexity": scored["perplexity"],
                "heldout_num_chars": scored["num_chars"],
            },
            "evaluation": "score_text: windows of 256 chars, 64 of burn-in context, each held-out char scored once",
        }

    def generate(self, prompt, max_length=200, temperature=1.0, top_k=None, seed=None):
        """Continues `prompt` by sampling `max_length` new tokens.

        Args:
            prompt: str (or list of str, giving a list back). Must not be empty.
            max_length: int > 0. Number of tokens to add (fewer if `<eos>` is sampled).
            temperature: float > 0. Below 1 sharpens, above 1 flattens the distribution.
            top_k: int > 0 or None. Sample among the k most likely tokens only.
            seed: int or None. Same seed, same text.

        Returns:
            str: the prompt followed by the generated text.
        """
        self._require_tokenizer("generate")
        if isinstance(prompt, (list, tuple)):
            return [self.generate(p, max_length, temperature, top_k, seed) for p in prompt]
        if not isinstance(prompt, str) or not prompt:
            raise ValueError(f"`prompt` must be a non-empty str, received {prompt!r}.")
        check_positive_int(max_length, "max_length")
        check_number(temperature, "temperature", 0, low_open=True, expected="a finite float > 0")
        vocab = self.backbone.vocabulary_size
        if top_k is not None:
            check_int(top_k, "top_k", 1, expected="a positive int or None")
        rng = np.random.default_rng(seed)
        ids = self.tokenizer.encode(prompt)
        states = self.backbone.initial_states(1)
        for token in ids:
            hidden, states = self.backbone.step(np.array([token], "int32"), states)
        generated = []
        tok = self.tokenizer
        banned = [PAD_ID, tok.unk_id, tok.bos_id, tok.mask_id]  # never meaningful output
        for _ in range(max_length):
            logits = np.asarray(keras.ops.convert_to_numpy(self.logits(hidden))[0], np.float64)
            logits[banned] = -np.inf
            logits = logits / temperature
            if top_k is not None and top_k < vocab:
                kth = np.partition(logits, -top_k)[-top_k]
                logits[logits < kth] = -np.inf
            probs = np.exp(logits - logits.max())
            token = int(rng.choice(vocab, p=probs / probs.sum()))
            if token == tok.eos_id:  # the model ended the sequence
                break
            generated.append(token)
            hidden, states = self.backbone.step(np.array([token], "int32"), states)
        return prompt + self.tokenizer.decode(np.array(generated, "int32"))

    def _require_tokenizer(self, method):
        if self.tokenizer is None:
            raise ValueError(f"`{method}` works on text and needs a tokenizer; this model has none.")
