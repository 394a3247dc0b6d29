"""`SequenceVAE`: L = E_q[−log p(x | z)] + β · KL(q(z | x) ‖ N(0, I)) (Bowman et al., 2016)."""

import keras
import numpy as np
from keras import ops

from rs3l_keras.backbones.rnn_backbone import CELLS, check_backbone
from rs3l_keras.data import noise as noise_lib
from rs3l_keras.data import windowing
from rs3l_keras.data.tokenizers import BOS_ID, EOS_ID, MASK_ID, PAD_ID, UNK_ID
from rs3l_keras.objectives.objective import EncoderDecoder, check_self_supervised_inputs
from rs3l_keras.validation import check_int, check_number, check_one_of, check_positive_int


@keras.saving.register_keras_serializable(package="rs3l_keras")
class TokenDropout(keras.layers.Layer):
    """Replaces each non-padding token by `<unk>` with probability `rate` during training
    (Bowman et al.'s word dropout: the decoder must lean on z, not only on its inputs)."""

    def __init__(self, rate=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_number(rate, "rate", 0, 1, high_open=True, expected="in [0, 1)")
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, ids, training=False):
        if not training or self.rate == 0:
            return ids
        drop = keras.random.uniform(ops.shape(ids), seed=self.seed_generator) < self.rate
        drop = ops.logical_and(drop, ops.greater(ids, EOS_ID))  # keep <pad>, <bos>
        return ops.where(drop, ops.full_like(ids, UNK_ID), ids)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="rs3l_keras")
class Reparameterize(keras.layers.Layer):
    """z = μ + σ ⊙ ε, ε ~ N(0, I) while training; z = μ otherwise."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, z_mean, z_log_var, training=False):
        if not training:
            return z_mean
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="rs3l_keras")
class SequenceVAE(EncoderDecoder):
    """Variational autoencoder for sequences with an RNN encoder and decoder.

    Encoder → (z_mean, z_log_var) → z by reparameterisation → decoder (its initial state
    and every input step conditioned on z) reconstructs the sequence with teacher forcing.
    Loss per sequence: reconstruction NLL + β·KL, with β set by the `KLAnnealing` callback
    (0 → `beta` over the warm-up), optional free bits (each latent dimension's KL counts at
    least `free_bits` nats) and token dropout on the decoder inputs, the two remedies of
    Bowman et al. for posterior collapse. Metrics: `reconstruction`, `kl` (nats per
    sequence) and `loss`. Reference: Bowman et al. (2016), Generating Sentences from a
    Continuous Space; Kingma & Welling (2014).

    Args:
        encoder: `RNNBackbone` with token input.
        tokenizer: tokenizer or None.
        latent_dim: int, default 32.
        decoder_dim: int or None (default: the encoder's output size).
        token_dropout: float in [0, 1), default 0.25.
        free_bits: float ≥ 0, default 0 (nats per latent dimension).
        beta: float > 0, default 1. The KL weight once annealing is over.
        sequence_length: int, default 64. Sequences are truncated to this many tokens
            (formerly `max_length`, still accepted with a DeprecationWarning).
    """

    fixed_loss = "reconstruction NLL + β·KL"
    pretrain_name = "sequence-vae"
    pretrain_options = ("latent_dim", "token_dropout", "free_bits", "sequence_length")
    pretrain_sequence_length = 64
    renamed_args = {"max_length": "sequence_length"}
    train_metric = ("kl", "train_kl_last_epoch")
    headline_metric = "heldout_nll_bound"
    headline_tolerance = (0.0, 0.005)

    def __init__(
        self,
        encoder,
        tokenizer=None,
        latent_dim=32,
        decoder_dim=None,
        token_dropout=0.25,
        free_bits=0.0,
        beta=1.0,
        sequence_length=64,
        **kwargs,
    ):
        sequence_length = self._renamed(kwargs, "sequence_length", sequence_length, 64)
        check_backbone(encoder, "token", tokenizer=tokenizer, role="encoder")
        check_positive_int(latent_dim, "latent_dim")
        check_positive_int(sequence_length, "sequence_length")
        check_number(free_bits, "free_bits", 0)
        check_number(beta, "beta", 0, low_open=True)
        decoder_dim = decoder_dim or encoder.output_dim
        vocab = encoder.vocabulary_size
        num_states = 2 if encoder.cell == "lstm" else 1

        # === Layers ===
        self.encoder = encoder
        self.z_mean_head = keras.layers.Dense(latent_dim, name="z_mean")
        self.z_log_var_head = keras.layers.Dense(latent_dim, name="z_log_var")
        self.reparameterize = Reparameterize(name="reparameterize")
        self.token_dropout = TokenDropout(token_dropout, name="token_dropout")
        self.decoder_embedding = keras.layers.Embedding(vocab, encoder.embedding_dim, name="decoder_embedding")
        self.bridges = [
            keras.layers.Dense(decoder_dim, activation="tanh", name=f"bridge_{i}") for i in range(num_states)
        ]
        self.decoder_rnn = CELLS[encoder.cell](
            decoder_dim, return_sequences=True, fused=encoder.fused, name="decoder_rnn"
        )
        self.output_head = keras.layers.Dense(vocab, dtype="float32", name="output_head")

        # === Functional graph ===
        encoder_ids = keras.Input(shape=(None,), dtype="int32", name="encoder_token_ids")
        decoder_ids = keras.Input(shape=(None,), dtype="int32", name="decoder_token_ids")
        pooled = encoder(encoder_ids)["pooled_output"]
        z_mean, z_log_var = self.z_mean_head(pooled), self.z_log_var_head(pooled)  # (B, Z)
        z = self.reparameterize(z_mean, z_log_var)
        logits = self._decode_sequence(z, self.token_dropout(decoder_ids))
        super().__init__(
            inputs={"encoder_token_ids": encoder_ids, "decoder_token_ids": decoder_ids},
            outputs={"logits": logits, "z_mean": z_mean, "z_log_var": z_log_var},
            tokenizer=tokenizer,
            **kwargs,
        )

        # === Config and state ===
        self.latent_dim = latent_dim
        self.decoder_dim = decoder_dim
        self.token_dropout_rate = token_dropout
        self.free_bits = float(free_bits)
        self.beta = float(beta)
        self.sequence_length = sequence_length
        self.kl_weight = self.add_weight(
            name="kl_weight", shape=(), trainable=False, initializer=keras.initializers.Constant(self.beta)
        )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def _decode_sequence(self, z, decoder_ids):
        states = [bridge(z) for bridge in self.bridges]
        x = self.decoder_embedding(decoder_ids)  # (B, T, E)
        z_steps = ops.zeros_like(x[:, :, :1]) + ops.expand_dims(z, 1)  # (B, T, Z) by broadcasting
        hidden = self.decoder_rnn(ops.concatenate([x, z_steps], axis=-1), initial_state=states)
        return self.output_head(hidden)  # (B, T, V)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "latent_dim": self.latent_dim,
                "decoder_dim": self.decoder_dim,
                "token_dropout": self.token_dropout_rate,
                "free_bits": self.free_bits,
                "beta": self.beta,
                "sequence_length": self.sequence_length,
            }
        )
        return config

    @property
    def metrics(self):
        return [*super().metrics, self.reconstruction_tracker, self.kl_tracker]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        logits, z_mean, z_log_var = y_pred["logits"], y_pred["z_mean"], y_pred["z_log_var"]
        y = ops.cast(y, "int32")
        nll = ops.sparse_categorical_crossentropy(y, ops.cast(logits, "float32"), from_logits=True)
        reconstruction = ops.mean(ops.sum(nll * ops.cast(ops.not_equal(y, PAD_ID), "float32"), axis=1))
        kl_per_dim = 0.5 * (ops.square(z_mean) + ops.exp(z_log_var) - 1.0 - z_log_var)  # (B, Z)
        kl = ops.mean(ops.sum(kl_per_dim, axis=1))
        kl_term = kl
        if self.free_bits > 0:
            kl_term = ops.sum(ops.maximum(ops.mean(kl_per_dim, axis=0), self.free_bits))
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        loss = reconstruction + self.kl_weight * kl_term
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss

    def make_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None, epoch=None):
        import tensorflow as tf

        check_self_supervised_inputs(self, x, y, "text, a list of lines or a tf.data.Dataset")
        if isinstance(x, tf.data.Dataset):
            return x
        ids = self.encode_lines(noise_lib.text_lines(x) if isinstance(x, str) else x)
        return noise_lib.seq2seq_dataset(
            ids,
            ids,
            batch_size=batch_size or 64,
            shuffle=shuffle,
            seed=0 if seed is None and not shuffle else seed,
            epoch=epoch,
        )

    def pretrain_callbacks(self, steps, kl_warmup_steps=None):
        """KL annealing over `kl_warmup_steps` (default: a third of the steps)."""
        return [KLAnnealing(kl_warmup_steps or max(steps // 3, 1))]

    def heldout_report(self, text, num_lines=500, compare_with=None, seed=0):
        """Reconstruction NLL, KL and their sum (a bound on the NLL), in nats per line, on the
        first `num_lines` held-out lines, plus prior samples and one interpolation for the
        model card."""
        lines = noise_lib.text_lines(text)[:num_lines]
        result = self.evaluate(lines, batch_size=64, return_dict=True, verbose=0)
        samples = [f"prior sample {i + 1}: {s}" for i, s in enumerate(self.sample(5, temperature=0.7, seed=seed))]
        verse = [line for line in lines if len(line) >= 25] or lines
        a, b = verse[0], verse[min(1, len(verse) - 1)]
        path = self.interpolate(a, b, steps=5)
        samples.append("interpolation:\n" + "\n".join(f"{t:.2f}: {s}" for t, s in zip(np.linspace(0, 1, 5), path)))
        return {
            "metrics": {
                "heldout_reconstruction": result["reconstruction"],
                "heldout_kl": result["kl"],
                "heldout_nll_bound": result["reconstruction"] + result["kl"],
                "heldout_num_lines": len(lines),
            },
            "samples": samples,
            "evaluation": (
                f"first {num_lines} held-out lines; NLL bound = reconstruction + KL "
                "(nats per line, posterior mean decoding for samples)"
            ),
        }

    # -- the latent space -----------------------------------------------------------------
    def encode(self, texts):
        """Posterior means z (n, latent_dim) of a str or list of str."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        pooled = self.encoder(windowing.pad_ids(self.encode_lines(texts)))["pooled_output"]
        return ops.convert_to_numpy(self.z_mean_head(pooled))

    def decode(self, z, max_length=None, temperature=0.0, seed=None):
        """Latent codes (n, latent_dim) → list of str. `temperature` 0 is greedy."""
        z = np.asarray(z, "float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"`z` must have shape (n, {self.latent_dim}), received {z.shape}.")
        check_number(temperature, "temperature", 0)
        max_length = max_length or self.sequence_length
        rng = np.random.default_rng(seed)
        states = [bridge(z) for bridge in self.bridges]
        tokens = np.full(len(z), BOS_ID, "int32")
        out, done = [[] for _ in z], np.zeros(len(z), bool)
        for _ in range(max_length):
            x = ops.concatenate([self.decoder_embedding(tokens), z], axis=-1)
            hidden, states = self.decoder_rnn.cell(x, states, training=False)
            states = states if isinstance(states, (list, tuple)) else [states]
            logits = np.asarray(ops.convert_to_numpy(self.output_head(hidden)), np.float64)
            logits[:, [PAD_ID, UNK_ID, BOS_ID, MASK_ID]] = -np.inf
            if temperature == 0:
                tokens = logits.argmax(-1).astype("int32")
            else:
                p = np.exp((logits - logits.max(-1, keepdims=True)) / temperature)
                p /= p.sum(-1, keepdims=True)
                tokens = np.array([rng.choice(len(row), p=row) for row in p], "int32")
            for i, t in enumerate(tokens):
                if not done[i]:
                    if t == EOS_ID:
                        done[i] = True
                    else:
                        out[i].append(int(t))
            if done.all():
                break
        return [self.tokenizer.decode(np.array(o, "int32")) for o in out]

    def sample(self, n, max_length=None, temperature=0.0, seed=None):
        """n sequences decoded from z ~ N(0, I)."""
        check_positive_int(n, "n")
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        return self.decode(z, max_length, temperature, seed)

    def interpolate(self, a, b, steps=5, max_length=None):
        """Greedy decodings along the straight line between the codes of `a` and `b`."""
        check_int(steps, "steps", 2)
        za, zb = self.encode([a, b])
        t = np.linspace(0.0, 1.0, steps)[:, None]
        return self.decode((1 - t) * za + t * zb, max_length)


class KLAnnealing(keras.callbacks.Callback):
    """Anneals the VAE's KL weight from 0 to `model.beta` (Bowman et al., 2016).

    Args:
        warmup_steps: int. Steps to reach the full weight.
        schedule: `"linear"`, `"sigmoid"` (logistic, centred at half the warm-up) or
            `"constant"` (β from the start).
    """

    SCHEDULES = ("linear", "sigmoid", "constant")

    def __init__(self, warmup_steps=1000, schedule="linear"):
        super().__init__()
        check_one_of(schedule, "schedule", self.SCHEDULES)
        check_positive_int(warmup_steps, "warmup_steps")
        self.warmup_steps = warmup_steps
        self.schedule = schedule

    def weight(self, step):
        if self.schedule == "constant":
            return 1.0
        if self.schedule == "linear":
            return min(1.0, step / self.warmup_steps)
        return float(1.0 / (1.0 + np.exp(-10.0 * (step / self.warmup_steps - 0.5))))

    def on_train_batch_begin(self, batch, logs=None):
        step = int(ops.convert_to_numpy(self.model.optimizer.iterations))
        self.model.kl_weight.assign(self.model.beta * self.weight(step))
