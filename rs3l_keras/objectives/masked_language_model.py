"""`MaskedLanguageModel`: L = −(1/|M|) Σ_{t∈M} log P(w_t | w_\\t) on a bidirectional RNN."""

import keras
import numpy as np
from keras import ops

from rs3l_keras.backbones.rnn_backbone import check_backbone
from rs3l_keras.data import masking
from rs3l_keras.data.tokenizers import MASK_ID
from rs3l_keras.objectives.objective import Objective, check_self_supervised_inputs
from rs3l_keras.validation import check_number, check_positive_int


@keras.saving.register_keras_serializable(package="rs3l_keras")
class MaskedLanguageModel(Objective):
    """Masked language model (BERT's objective) on a bidirectional `RNNBackbone`.

    The input pipeline corrupts 15% of the tokens (80% `<mask>`, 10% random, 10% unchanged;
    a new draw every epoch, reproducible from the seed); the loss is the mean cross-entropy
    over the selected positions M only, L = −(1/|M|) Σ_{t∈M} log P(w_t | w_\\t), and the
    metric `masked_accuracy` is measured on the same positions.
    Reference: Devlin et al. (2019), BERT; Peters et al. (2018), ELMo (bidirectional RNNs).

    Args:
        backbone: `RNNBackbone` with token input and `bidirectional=True`.
        tokenizer: tokenizer or None (travels with the model).
        sequence_length: int, default 128. Window length used when `fit` cuts text.
        mask_rate: float in (0, 1), default 0.15.

    Input: token_ids (batch, time). Output: logits (batch, time, vocabulary_size).

    Example:
    >>> from rs3l_keras import CharTokenizer, RNNBackbone
    >>> tok = CharTokenizer.fit("to be or not to be")
    >>> mlm = MaskedLanguageModel(RNNBackbone(tok.vocabulary_size, hidden_dim=8, bidirectional=True), tok, 16)
    >>> mlm.compile()
    >>> len(mlm.fill_mask("to be or n<mask>t to be")) == len("to be or not to be")
    True
    """

    pretrain_name = "masked-language-model"
    pretrain_options = ("sequence_length",)
    bidirectional_backbone = True
    train_metric = ("masked_accuracy", "train_masked_accuracy_last_epoch")
    headline_metric = "heldout_masked_accuracy"
    headline_tolerance = (0.005, 0.0)

    def __init__(self, backbone, tokenizer=None, sequence_length=128, mask_rate=0.15, **kwargs):
        check_backbone(backbone, "token", tokenizer=tokenizer, bidirectional=True)  # predicts from both sides
        check_positive_int(sequence_length, "sequence_length")
        check_number(mask_rate, "mask_rate", 0, 1, low_open=True, high_open=True, expected="in (0, 1)")

        # === Layers ===
        self.backbone = backbone
        self.mlm_head = keras.layers.Dense(backbone.vocabulary_size, dtype="float32", name="mlm_head")

        # === Functional graph ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        logits = self.mlm_head(backbone(token_ids)["sequence_output"])  # (B, T, V)
        super().__init__(inputs=token_ids, outputs=logits, tokenizer=tokenizer, **kwargs)

        # === Config ===
        self.sequence_length = sequence_length
        self.mask_rate = mask_rate

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "mask_rate": self.mask_rate,
            }
        )
        return config

    def default_weighted_metrics(self):
        """Accuracy on the selected positions; the loss is `compute_loss` (a `loss` given to
        `compile` replaces it)."""
        return [keras.metrics.SparseCategoricalAccuracy(name="masked_accuracy")]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self._compile_loss is not None:  # a user-supplied loss replaces the objective's
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        nll = ops.sparse_categorical_crossentropy(ops.cast(y, "int32"), ops.cast(y_pred, "float32"), from_logits=True)
        weight = ops.ones_like(nll) if sample_weight is None else ops.cast(sample_weight, "float32")
        loss = ops.sum(nll * weight) / ops.maximum(ops.sum(weight), 1.0)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss

    def heldout_report(self, text, num_lines=500, compare_with=None, seed=0, batch_size=64):
        """Held-out masked-token accuracy; with `compare_with` (a `LanguageModel` or a preset
        name), also the accuracy of that model predicting the same positions from the
        uncorrupted left context only (position 0, which has none, is left out of both).
        `num_lines` is not used."""
        data = self.make_dataset(text, batch_size=batch_size, shuffle=False, seed=seed)
        if isinstance(compare_with, str):
            from rs3l_keras.zoo import hub

            lm = hub.load_pretrained(compare_with)
        else:
            lm = compare_with
        if lm is not None and lm.tokenizer != self.tokenizer:
            raise ValueError(
                f"`compare_with` {compare_with!r} has a different vocabulary from the masked LM: the "
                "two must share one tokenizer to be scored on the same positions."
            )
        hits_mlm = hits_lm = total = 0
        mask_hits_mlm = mask_hits_lm = mask_total = 0  # the positions shown as <mask> only
        for corrupted, original, weights in data.as_numpy_iterator():  # numpy: predict_on_batch on every backend
            selected = weights > 0
            selected[:, 0] = False
            masked = selected & (corrupted == MASK_ID)
            correct = np.asarray(self.predict_on_batch(corrupted)).argmax(-1) == original
            hits_mlm += int(correct[selected].sum())
            mask_hits_mlm += int(correct[masked].sum())
            total, mask_total = total + int(selected.sum()), mask_total + int(masked.sum())
            if lm is not None:
                lm_correct = np.asarray(lm.predict_on_batch(original[:, :-1])).argmax(-1) == original[:, 1:]
                hits_lm += int(lm_correct[selected[:, 1:]].sum())
                mask_hits_lm += int(lm_correct[masked[:, 1:]].sum())
        report = {
            "metrics": {
                "heldout_masked_accuracy": hits_mlm / total,
                "heldout_num_masked": total,
                "heldout_mask_token_accuracy": mask_hits_mlm / mask_total,
            },
            "evaluation": (
                "held-out text cut into windows of sequence_length; BERT corruption "
                "with seed 0; accuracy of the argmax on the selected positions"
            ),
        }
        if lm is not None:
            report["baselines"] = {
                "left_context_lm_accuracy": hits_lm / total,
                "left_context_lm_mask_token_accuracy": mask_hits_lm / mask_total,
                "left_context_lm": compare_with if isinstance(compare_with, str) else lm.name,
            }
        return report

    def make_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Text or token ids → batches of (corrupted ids, original ids, selected-position
        weights). A `tf.data.Dataset` is passed through as it is."""
        import tensorflow as tf

        check_self_supervised_inputs(self, x, y, "text, token ids or a tf.data.Dataset")
        if isinstance(x, tf.data.Dataset):
            return x
        return masking.mlm_dataset(
            x,
            self.tokenizer,
            self.sequence_length,
            batch_size or 64,
            shuffle=shuffle,
            seed=0 if seed is None and not shuffle else seed,
            epoch=epoch,
            mask_rate=self.mask_rate,
        )

    def fill_mask(self, text, mask="<mask>"):
        """Replaces each `mask` in `text` by the model's most likely token.

        >>> # mlm.fill_mask("To be, or n<mask>t to be") -> "To be, or not to be"
        """
        if self.tokenizer is None:
            raise ValueError("`fill_mask` works on text and needs a tokenizer; this model has none.")
        if not isinstance(text, str) or mask not in text:
            raise ValueError(f"`text` must be a str containing {mask!r}, received {text!r:.80}.")
        pieces = [self.tokenizer.encode(p) for p in text.split(mask)]
        ids = np.concatenate([np.concatenate([p, [MASK_ID]]) for p in pieces[:-1]] + [pieces[-1]]).astype("int32")
        logits = np.asarray(self.predict_on_batch(ids[None]))[0]
        logits[:, : len(masking.SPECIAL_TOKENS)] = -np.inf
        filled = np.where(ids == MASK_ID, logits.argmax(-1), ids)
        return self.tokenizer.decode(filled)
