"""`Seq2Seq`: encoder-decoder RNN, L = −(1/T) Σ_t log P(y_t | y_<t, x), with optional attention."""

import keras
import numpy as np
from keras import ops

from rs3l_keras.backbones.rnn_backbone import CELLS, check_backbone
from rs3l_keras.data import noise as noise_lib
from rs3l_keras.data import windowing
from rs3l_keras.data.tokenizers import BOS_ID, EOS_ID, MASK_ID, PAD_ID, UNK_ID
from rs3l_keras.metrics import BitsPerToken
from rs3l_keras.objectives.objective import EncoderDecoder
from rs3l_keras.validation import check_int, check_number, check_one_of, check_positive_int

ATTENTION = (None, "luong", "bahdanau")


@keras.saving.register_keras_serializable(package="rs3l_keras")
class Seq2Seq(EncoderDecoder):
    """Sequence-to-sequence model: an `RNNBackbone` encoder whose final state initialises an
    RNN decoder (through a learned tanh bridge), with optional Luong (dot-product) or
    Bahdanau (additive) attention over the encoder states. Trained with teacher forcing;
    `generate` decodes greedily or with beam search and length normalisation.

    Self-supervised pretexts on plain text (`task`): `"denoise"` (a line corrupted by
    character drops, swaps and masked spans → the line) and `"next-line"`.
    Reference: Sutskever et al. (2014); Bahdanau et al. (2015); Luong et al. (2015);
    Lewis et al. (2020), BART (denoising).

    Args:
        encoder: `RNNBackbone` with token input (may be bidirectional).
        tokenizer: tokenizer or None; shared by source and target.
        decoder_dim: int or None. Decoder units (default: the encoder's output size).
        attention: None, `"luong"` or `"bahdanau"`.
        task: `"denoise"` (default) or `"next-line"`: the pairs `fit` builds from raw text.
        sequence_length: int, default 128. Lines are truncated to this many tokens
            (formerly `max_length`, still accepted with a DeprecationWarning).
        noise: dict of corruption rates for `"denoise"` (`drop_rate`, `swap_rate`,
            `span_rate`, `max_span`).

    Inputs: `{"encoder_token_ids": (B, S), "decoder_token_ids": (B, T)}` (decoder inputs
    start with `<bos>`). Output: logits (B, T, vocabulary_size).
    """

    pretrain_name = "seq2seq"
    pretrain_options = ("attention", "task", "sequence_length")
    pretrain_sequence_length = 64
    renamed_args = {"max_length": "sequence_length"}
    bidirectional_backbone = True
    train_metric = ("bits_per_token", "train_bits_per_token_last_epoch")
    headline_metric = "heldout_cer"
    headline_tolerance = (0.005, 0.0)

    def __init__(
        self,
        encoder,
        tokenizer=None,
        decoder_dim=None,
        attention="luong",
        task="denoise",
        sequence_length=128,
        noise=None,
        **kwargs,
    ):
        sequence_length = self._renamed(kwargs, "sequence_length", sequence_length, 128)
        check_backbone(encoder, "token", tokenizer=tokenizer, role="encoder")
        check_one_of(attention, "attention", ATTENTION)
        noise_lib.check_noise_task(task)
        check_positive_int(sequence_length, "sequence_length")
        decoder_dim = decoder_dim or encoder.output_dim
        vocab = encoder.vocabulary_size
        self._num_states = 2 if encoder.cell == "lstm" else 1

        # === Layers ===
        self.encoder = encoder
        self.bridges = [
            keras.layers.Dense(decoder_dim, activation="tanh", name=f"bridge_{i}") for i in range(self._num_states)
        ]
        self.decoder_embedding = keras.layers.Embedding(vocab, encoder.embedding_dim, name="decoder_embedding")
        self.decoder_rnn = CELLS[encoder.cell](
            decoder_dim, return_sequences=True, fused=encoder.fused, name="decoder_rnn"
        )
        self.memory_projection = self.attention = self.attention_combine = None
        if attention is not None:
            self.memory_projection = keras.layers.Dense(decoder_dim, use_bias=False, name="memory_projection")
            self.attention = (
                keras.layers.Attention(name="attention")
                if attention == "luong"
                else keras.layers.AdditiveAttention(name="attention")
            )
            self.attention_combine = keras.layers.Dense(decoder_dim, activation="tanh", name="attention_combine")
        self.output_head = keras.layers.Dense(vocab, dtype="float32", name="output_head")

        # === Functional graph ===
        encoder_ids = keras.Input(shape=(None,), dtype="int32", name="encoder_token_ids")
        decoder_ids = keras.Input(shape=(None,), dtype="int32", name="decoder_token_ids")
        encoded = encoder(encoder_ids)
        states = [bridge(encoded["pooled_output"]) for bridge in self.bridges]
        hidden = self.decoder_rnn(self.decoder_embedding(decoder_ids), initial_state=states)  # (B, T, D)
        if attention is not None:
            memory = self.memory_projection(encoded["sequence_output"])  # (B, S, D)
            context = self.attention([hidden, memory], mask=[None, ops.not_equal(encoder_ids, PAD_ID)])
            hidden = self.attention_combine(ops.concatenate([hidden, context], axis=-1))
        logits = self.output_head(hidden)
        super().__init__(
            inputs={"encoder_token_ids": encoder_ids, "decoder_token_ids": decoder_ids},
            outputs=logits,
            tokenizer=tokenizer,
            **kwargs,
        )

        # === Config ===
        self.decoder_dim = decoder_dim
        self.attention_type = attention
        self.task = task
        self.sequence_length = sequence_length
        self.noise = dict(noise or {})

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "decoder_dim": self.decoder_dim,
                "attention": self.attention_type,
                "task": self.task,
                "sequence_length": self.sequence_length,
                "noise": self.noise,
            }
        )
        return config

    def default_loss(self):
        """Cross-entropy from logits, padding ignored."""
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=PAD_ID)

    def default_metrics(self):
        return [BitsPerToken()]

    def heldout_report(self, text, num_lines=500, compare_with=None, seed=0):
        """Denoising on the first `num_lines` held-out lines: exact match and CER of the greedy
        reconstruction, next to copying the corrupted input unchanged (the baselines)."""
        from rs3l_keras.metrics import edit_distance

        lines = noise_lib.text_lines(text, min_chars=10)[:num_lines]
        originals = [self.tokenizer.encode(line)[: self.sequence_length] for line in lines]
        corrupted = noise_lib.copy_baseline_ids(originals, seed=seed, **self.noise)
        predicted = [self.tokenizer.encode(text) for text in self.generate(corrupted)]  # one greedy batch
        length = sum(len(o) for o in originals)

        def cer(hyps):
            return sum(edit_distance(list(h), list(o)) for h, o in zip(hyps, originals)) / length

        def exact(hyps):
            return sum(np.array_equal(h, o) for h, o in zip(hyps, originals)) / len(originals)

        return {
            "metrics": {
                "heldout_cer": cer(predicted),
                "heldout_exact_match": exact(predicted),
                "heldout_num_lines": len(lines),
            },
            "baselines": {"copy_input_cer": cer(corrupted), "copy_input_exact_match": exact(corrupted)},
            "evaluation": (
                f"first {num_lines} held-out lines of at least 10 characters, corrupted "
                "with seed 0, decoded greedily as one right-padded batch; CER = edit "
                "distance / reference length"
            ),
        }

    # -- data ---------------------------------------------------------------------------
    def make_pairs(self, x, y=None):
        """Source and target id lists from raw text (the pretext `task`), lists of lines,
        `(sources, targets)` string lists, or lists of id arrays."""
        if isinstance(x, str):
            x = noise_lib.text_lines(x)
        if not isinstance(x, (list, tuple)) or not x:
            raise ValueError(f"`x` must be text or a non-empty list of lines, received {type(x).__name__}.")
        if y is not None:
            if len(y) != len(x):
                raise ValueError(f"`x` and `y` must have the same length, received {len(x)} and {len(y)}.")
            return self.encode_lines(x), self.encode_lines(y)
        if self.task == "next-line":
            pairs = noise_lib.next_line_pairs(list(x))
            if not pairs:
                raise ValueError("The next-line task needs at least 2 lines of text.")
            return self.encode_lines([a for a, _ in pairs]), self.encode_lines([b for _, b in pairs])
        ids = self.encode_lines(x)
        return ids, ids

    def make_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None, epoch=None):
        import tensorflow as tf

        if x is None:
            raise ValueError("`x` is None: expected text, a list of lines or a tf.data.Dataset.")
        if isinstance(x, tf.data.Dataset):
            return x
        sources, targets = self.make_pairs(x, y)
        return noise_lib.seq2seq_dataset(
            sources,
            targets,
            batch_size=batch_size or 64,
            shuffle=shuffle,
            seed=0 if seed is None and not shuffle else seed,
            epoch=epoch,
            denoise=self.task == "denoise" and y is None,
            noise=self.noise,
        )

    # -- decoding -----------------------------------------------------------------------
    def _encode_source(self, ids):
        encoded = self.encoder(ids[None].astype("int32"))
        states = [bridge(encoded["pooled_output"]) for bridge in self.bridges]
        memory = self.memory_projection(encoded["sequence_output"]) if self.attention is not None else None
        return states, memory

    def _decode_step(self, tokens, states, memory, memory_mask):
        x = self.decoder_embedding(tokens.astype("int32"))  # (K, E)
        hidden, new_states = self.decoder_rnn.cell(x, states, training=False)
        new_states = new_states if isinstance(new_states, (list, tuple)) else [new_states]
        if self.attention is not None:
            k = tokens.shape[0]
            if memory.shape[0] != k:  # beams of one source share its memory
                memory, memory_mask = ops.repeat(memory, k, axis=0), ops.repeat(memory_mask, k, axis=0)
            context = self.attention([hidden[:, None, :], memory], mask=[None, memory_mask])
            hidden = self.attention_combine(ops.concatenate([hidden, context[:, 0, :]], axis=-1))
        logits = np.asarray(ops.convert_to_numpy(self.output_head(hidden)), np.float64)
        logits[:, [PAD_ID, UNK_ID, BOS_ID, MASK_ID]] = -np.inf  # never meaningful output
        log_probs = logits - logits.max(-1, keepdims=True)
        log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
        return log_probs, list(new_states)

    def _source_ids(self, source):
        if isinstance(source, np.ndarray) and source.ndim == 1 and source.dtype.kind in "iu":
            return source.astype(np.int32)[: self.sequence_length]  # already token ids
        if isinstance(source, str):
            return self.tokenizer.encode(source)[: self.sequence_length]
        raise ValueError(f"`source` must be a str or a 1-D int array of ids, received {type(source).__name__}.")

    def _greedy_batch(self, sources, max_length=None):
        """Greedy decoding of many sources at once (right-padded, as in training)."""
        limits = [max_length or 2 * len(ids) + 10 for ids in sources]
        check_positive_int(max(limits), "max_length")
        batch = windowing.pad_ids(sources)
        encoded = self.encoder(batch)
        states = [bridge(encoded["pooled_output"]) for bridge in self.bridges]
        memory = self.memory_projection(encoded["sequence_output"]) if self.attention is not None else None
        memory_mask = ops.not_equal(ops.convert_to_tensor(batch), PAD_ID)
        tokens = np.full(len(sources), BOS_ID, np.int32)
        outputs, done = [[] for _ in sources], np.zeros(len(sources), bool)
        for step in range(max(limits)):
            log_probs, states = self._decode_step(tokens, states, memory, memory_mask)
            tokens = log_probs.argmax(-1).astype(np.int32)
            for i, token in enumerate(tokens):
                if done[i] or token == EOS_ID or step >= limits[i]:
                    done[i] = True
                else:
                    outputs[i].append(int(token))
            if done.all():
                break
        return [self.tokenizer.decode(np.array(o, np.int32)) for o in outputs]

    def generate(self, source, max_length=None, beam_width=1, length_penalty=1.0):
        """Decodes `source` (str or 1-D token ids; a list gives a list back, decoded as one
        right-padded batch when greedy).

        Args:
            max_length: int or None. Most tokens to emit (default: 2× the source + 10).
            beam_width: int ≥ 1. 1 is greedy decoding.
            length_penalty: float ≥ 0. Beam scores are log P / ((5 + len) / 6)^length_penalty
                (Wu et al., 2016); 0 turns length normalisation off.
        """
        if self.tokenizer is None:
            raise ValueError("`generate` works on text and needs a tokenizer; this model has none.")
        if isinstance(source, (list, tuple)):
            if beam_width == 1 and source:
                return self._greedy_batch([self._source_ids(s) for s in source], max_length)
            return [self.generate(s, max_length, beam_width, length_penalty) for s in source]
        ids = self._source_ids(source)
        check_int(beam_width, "beam_width", 1)
        check_number(length_penalty, "length_penalty", 0)
        if max_length is None:
            max_length = 2 * len(ids) + 10
        check_positive_int(max_length, "max_length")
        if len(ids) == 0:
            ids = np.array([PAD_ID], np.int32)
        states, memory = self._encode_source(ids)
        memory_mask = ops.not_equal(ops.convert_to_tensor(ids[None]), PAD_ID)

        beams = [((), 0.0, [ops.convert_to_numpy(s) for s in states])]  # (tokens, log P, states)
        finished = []
        for _ in range(max_length):
            tokens = np.array([b[0][-1] if b[0] else BOS_ID for b in beams])
            batch_states = [np.concatenate([b[2][i] for b in beams]) for i in range(len(states))]
            log_probs, new_states = self._decode_step(tokens, batch_states, memory, memory_mask)
            candidates = []
            for k, (seq, score, _) in enumerate(beams):
                top = np.argsort(log_probs[k])[::-1][:beam_width]
                for token in top:
                    candidates.append((seq + (int(token),), score + log_probs[k, token], k))
            candidates.sort(key=lambda c: -c[1])
            beams = []
            for seq, score, k in candidates:
                if seq[-1] == EOS_ID:
                    finished.append((seq[:-1], score))
                else:
                    beams.append((seq, score, [ops.convert_to_numpy(s)[k : k + 1] for s in new_states]))
                if len(beams) == beam_width:
                    break
            if len(finished) >= beam_width or not beams:
                break
        finished += [(seq, score) for seq, score, _ in beams]

        def normalised(item):
            seq, score = item
            return score / (((5.0 + len(seq)) / 6.0) ** length_penalty) if length_penalty else score

        best = max(finished, key=normalised)[0]
        return self.tokenizer.decode(np.array(best, np.int32))
