"""`RecurrentGAN`: min_G max_D E_x[log D(x)] + E_z[log(1 − D(G(z)))] with RNNs (Mogren, 2016;
Esteban et al., 2017), plus TimeGAN's moment-matching term on the generator (Yoon et al., 2019)."""

import pathlib

import keras
import numpy as np
from keras import ops

from rs3l_keras.backbones.rnn_backbone import RNNBackbone, check_backbone
from rs3l_keras.data import series as series_data
from rs3l_keras.data import windowing
from rs3l_keras.objectives.objective import _portable
from rs3l_keras.objectives.series_objective import SeriesObjective
from rs3l_keras.validation import check_int, check_number, check_one_of, check_positive_int

OUTPUT_ACTIVATIONS = ("linear", "sigmoid")
DISCRIMINATOR_OUTPUTS = ("sequence", "step")


def _masked_moments(values, weights):
    """Mean and standard deviation over the batch axis at every (step, channel), counting
    only observed steps: values, weights (B, T, C) → two (T, C) tensors."""
    count = ops.maximum(ops.sum(weights, axis=0), 1.0)
    mean = ops.sum(values * weights, axis=0) / count
    var = ops.sum(ops.square(values - mean) * weights, axis=0) / count
    return mean, ops.sqrt(var + 1e-6)


def _moment_distance(real, fake, weights):
    """TimeGAN's moment loss: mean |σ̂_fake − σ̂_real| + mean |μ̂_fake − μ̂_real|."""
    real_mean, real_std = _masked_moments(real, weights)
    fake_mean, fake_std = _masked_moments(fake, weights)
    return ops.mean(ops.abs(fake_std - real_std)) + ops.mean(ops.abs(fake_mean - real_mean))


@keras.saving.register_keras_serializable(package="rs3l_keras")
class RecurrentGAN(SeriesObjective):
    """Generative adversarial network for real-valued sequences, generator and discriminator
    both recurrent.

    Generator: noise → `generator` (GRU/LSTM stack) → Dense per step → one value per channel,
    in the units of the model's `SeriesNormalization` (z-scores). The noise at step t is
    [z_t, s]: z_t ~ N(0, I) fresh at every step (`noise_dim`, as in C-RNN-GAN/RCGAN/TimeGAN)
    and s ~ N(0, I) drawn once per series (`static_noise_dim`, 0 to leave it out), which lets
    series-level properties (a frequency, a level) be set once instead of integrated from
    per-step noise. With `output_activation="sigmoid"` the head is lo + (hi − lo)·sigmoid(·)
    with (lo, hi) the per-channel range of the normalised training data (TimeGAN's min-max
    scaling + sigmoid); `"linear"` leaves it unbounded.
    Discriminator: `backbone` (a feature `RNNBackbone`, the network `embed` and fine-tuning
    keep) → Dense(1): one logit per series (`discriminator_output="sequence"`, from
    `pooled_output`) or one per step (`"step"`, from `sequence_output`, as in TimeGAN).

    Losses (non-saturating GAN, Goodfellow et al., 2014), averaged over observed steps:

        L_D = softplus(−D(x)) + softplus(D(G(z)))
        L_G = softplus(−D(G(z))) + λ_m · Σ_{k=0..K} (|σ̂(Δᵏx̂) − σ̂(Δᵏx)| + |μ̂(Δᵏx̂) − μ̂(Δᵏx)|)

    with x̂ = G(z), μ̂ and σ̂ the batch mean and standard deviation at every (step, channel)
    averaged over steps and channels, and Δᵏ the k-th difference along time. k = 0 is
    TimeGAN's moment loss on its generator; `moment_differences` K > 0 adds the same on the
    increments (K = 2 by default: on sines it removes the step-to-step jitter that per-step
    noise leaves and that a post-hoc classifier spots, which the adversarial term alone did
    not within our training budgets). `moment_weight` λ_m = 0 gives the plain RNN GAN. No
    supervised (teacher-forced) loss and no embedding network as in TimeGAN are used.
    Each `train_step` makes one discriminator update and `generator_steps` generator updates
    (TimeGAN: 2), each with fresh noise. Metrics: `d_loss`, `g_loss` (the full L_G).

    Variable length: batches are left-padded with NaN (`rs3l_keras.data.series`); the fake
    batch copies the real batch's padding (zeros, as the normaliser maps NaN) so both
    classes look alike there, and the losses and moments ignore padded steps.

    Backends: training runs on TensorFlow (`tf.GradientTape`), torch (`backward`) and JAX
    (the same updates written stateless: `jax.value_and_grad` inside a `keras.StatelessScope`,
    each optimiser's `stateless_apply`). The graph, `sample` and `predict` use `keras.ops`
    only. Input of the functional graph (`predict`, `__call__`): raw series (batch, time,
    channels); output: discriminator logits (batch, 1) or (batch, time, 1).

    Reference: Goodfellow et al. (2014); Mogren (2016), C-RNN-GAN; Esteban et al. (2017),
    RCGAN; Yoon et al. (2019), TimeGAN (moment loss, two generator steps, the evaluation).

    Args:
        backbone: feature `RNNBackbone` (`input_dim` = channels): the discriminator body.
        generator: feature `RNNBackbone` with `input_dim = noise_dim + static_noise_dim`, or
            None (default: a unidirectional stack of the backbone's cell, layers and width).
        noise_dim: int or None. Per-step noise channels (default: the generator's
            `input_dim − static_noise_dim`, else the number of channels).
        static_noise_dim: int >= 0, default 0. Per-series noise channels.
        output_activation: `"linear"` (default) or `"sigmoid"` (bounded to the training range).
        discriminator_output: `"sequence"` (default) or `"step"`.
        moment_weight: float >= 0, default 1.0 (λ_m).
        moment_differences: int >= 0, default 2 (K).
        generator_steps: int, default 2. Generator updates per discriminator update.
        seed: int or None. Seeds the training noise.

    Example:
    >>> from rs3l_keras import RNNBackbone
    >>> from rs3l_keras.data.series import make_sines
    >>> gan = RecurrentGAN(RNNBackbone(input_dim=5, cell="gru", hidden_dim=8), static_noise_dim=5)
    >>> gan.compile()
    >>> history = gan.fit(make_sines(64, seed=0), epochs=1, batch_size=32, verbose=0)
    >>> sorted(history.history)
    ['d_loss', 'g_loss']
    >>> gan.sample(3, seed=0).shape  # original scale, length of the training series
    (3, 24, 5)
    """

    network_args = ("backbone", "generator")

    def __init__(
        self,
        backbone,
        generator=None,
        noise_dim=None,
        static_noise_dim=0,
        output_activation="linear",
        discriminator_output="sequence",
        moment_weight=1.0,
        moment_differences=2,
        generator_steps=2,
        seed=None,
        **kwargs,
    ):
        check_backbone(backbone, "feature", role="backbone")
        check_int(static_noise_dim, "static_noise_dim", 0)
        if generator is not None:
            check_backbone(generator, "feature", role="generator")
            if noise_dim is None:
                noise_dim = generator.input_dim - static_noise_dim
            if generator.input_dim != noise_dim + static_noise_dim:
                raise ValueError(
                    f"The generator's input_dim ({generator.input_dim}) must equal noise_dim + "
                    f"static_noise_dim ({noise_dim!r} + {static_noise_dim})."
                )
        noise_dim = backbone.input_dim if noise_dim is None else noise_dim
        check_positive_int(noise_dim, "noise_dim")
        check_positive_int(generator_steps, "generator_steps")
        check_one_of(output_activation, "output_activation", OUTPUT_ACTIVATIONS)
        check_one_of(discriminator_output, "discriminator_output", DISCRIMINATOR_OUTPUTS)
        moment_weight = check_number(moment_weight, "moment_weight", 0)
        check_int(moment_differences, "moment_differences", 0)
        if generator is None:
            generator = RNNBackbone(
                input_dim=noise_dim + static_noise_dim,
                cell=backbone.cell,
                num_layers=backbone.num_layers,
                hidden_dim=backbone.hidden_dim,
                name="generator",
            )
        channels = backbone.input_dim

        # === Layers ===
        self.normalizer = series_data.SeriesNormalization(channels, name="normalizer")
        self.backbone = backbone
        self.discriminator_head = keras.layers.Dense(1, dtype="float32", name="discriminator_head")
        self.generator = generator
        self.generator_head = keras.layers.Dense(channels, dtype="float32", name="generator_head")
        self.generator_head.build((None, None, generator.output_dim))  # not in the graph below

        # === Config (read by the graph below) ===
        self.noise_dim = noise_dim
        self.static_noise_dim = static_noise_dim
        self.output_activation = output_activation
        self.discriminator_output = discriminator_output
        self.moment_weight = moment_weight
        self.moment_differences = moment_differences
        self.generator_steps = generator_steps
        self.seed = seed

        # === Functional graph: the discriminator on raw series ===
        features = keras.Input(shape=(None, channels), dtype="float32", name="features")
        logits = self._discriminate(self.normalizer(features))
        super().__init__(inputs=features, outputs=logits, **kwargs)
        # The generator is outside the graph: on torch, Functional.__init__ drops layers set
        # before it from the model's tracked layers (and so from `trainable_variables`).
        self.generator, self.generator_head = self.generator, self.generator_head

        # === State ===
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Set by `adapt` from the training data and saved with the weights: the generator's
        # output range (normalised units, per channel) and the default length of `sample`.
        self.value_range = self.add_weight(
            name="value_range",
            shape=(2, channels),
            trainable=False,
            initializer=keras.initializers.Constant([[-3.0], [3.0]]),
        )
        self.default_length = self.add_weight(name="default_length", shape=(), trainable=False, initializer="zeros")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    # -- the two networks ---------------------------------------------------------------
    def _discriminate(self, normalised, training=False):
        """Normalised series (B, T, C) → logits (B, 1) or (B, T, 1)."""
        out = self.backbone(normalised, training=training)
        key = "pooled_output" if self.discriminator_output == "sequence" else "sequence_output"
        return self.discriminator_head(out[key])

    def _generate(self, noise, training=False):
        """Noise (B, T, noise_dim) → normalised series (B, T, C)."""
        h = self.generator_head(self.generator(noise, training=training)["sequence_output"])
        if self.output_activation == "sigmoid":
            low, high = self.value_range[0], self.value_range[1]
            h = low + (high - low) * ops.sigmoid(h)
        return h

    @property
    def discriminator_variables(self):
        return [*self.backbone.trainable_variables, *self.discriminator_head.trainable_variables]

    @property
    def generator_variables(self):
        return [*self.generator.trainable_variables, *self.generator_head.trainable_variables]

    # -- losses ---------------------------------------------------------------------------
    def _step_weights(self, observed, logits):
        """Weights of each logit: observed steps for per-step logits, 1 per sequence else."""
        if self.discriminator_output == "step":
            return observed
        return ops.ones_like(logits)

    def _d_loss(self, real, fake, observed):
        real_logits = self._discriminate(real, training=True)
        fake_logits = self._discriminate(fake, training=True)
        w = self._step_weights(observed, real_logits)
        total = ops.sum(w * (ops.softplus(-real_logits) + ops.softplus(fake_logits)))
        return total / ops.maximum(ops.sum(w), 1.0)

    def _g_loss(self, real, fake, observed):
        fake_logits = self._discriminate(fake, training=True)
        w = self._step_weights(observed, fake_logits)
        loss = ops.sum(w * ops.softplus(-fake_logits)) / ops.maximum(ops.sum(w), 1.0)
        if self.moment_weight > 0:
            weights = ops.broadcast_to(observed, ops.shape(real))
            moments = _moment_distance(real, fake, weights)
            for _ in range(self.moment_differences):  # the same on Δx, Δ²x, …
                real, fake = real[:, 1:] - real[:, :-1], fake[:, 1:] - fake[:, :-1]
                weights = weights[:, 1:] * weights[:, :-1]  # both ends of each difference observed
                moments = moments + _moment_distance(real, fake, weights)
            loss = loss + self.moment_weight * moments
        return loss

    def _real_batch(self, data):
        """Raw NaN-padded batch → (normalised real (B, T, C), observed (B, T, 1) float)."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = ops.cast(x, "float32")
        observed = ops.cast(ops.logical_not(ops.all(ops.isnan(x), axis=-1, keepdims=True)), "float32")
        return self.normalizer(x), observed

    def _noise(self, batch, length):
        """(B, T, noise_dim) fresh per step, then (B, T, static_noise_dim) repeated over time."""
        noise = keras.random.normal((batch, length, self.noise_dim), seed=self.seed_generator)
        if self.static_noise_dim:
            static = keras.random.normal((batch, 1, self.static_noise_dim), seed=self.seed_generator)
            noise = ops.concatenate([noise, ops.zeros_like(noise[:, :, :1]) + static], axis=-1)
        return noise

    def _fake_batch(self, observed, training):
        shape = ops.shape(observed)
        return self._generate(self._noise(shape[0], shape[1]), training=training) * observed  # the real padding

    # -- training -------------------------------------------------------------------------
    def compile(self, g_optimizer="auto", d_optimizer="auto", **kwargs):
        """Two optimisers; "auto" is Adam(1e-3, β₁ = 0.5) with global gradient-norm clipping
        at 1.0 for each network. `optimizer` (the Keras attribute) is the discriminator's,
        so callbacks that read `model.optimizer.iterations` count training steps."""
        for name in ("loss", "optimizer"):
            if kwargs.get(name) not in (None, "auto"):
                raise ValueError(
                    f"A RecurrentGAN has its own losses and two optimisers: pass "
                    f"`g_optimizer=` and `d_optimizer=`, not `{name}=`."
                )
            kwargs.pop(name, None)
        if g_optimizer == "auto":
            g_optimizer = keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5, global_clipnorm=1.0)
        if d_optimizer == "auto":
            d_optimizer = keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5, global_clipnorm=1.0)
        g_optimizer, d_optimizer = keras.optimizers.get(g_optimizer), keras.optimizers.get(d_optimizer)
        if g_optimizer is d_optimizer:
            raise ValueError("`g_optimizer` and `d_optimizer` must be two different optimizer objects.")
        super().compile(optimizer=d_optimizer, **kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        # Each optimiser holds slots for its own network only, on every backend (Keras would
        # otherwise build `optimizer` on all trainable variables before a JAX or torch fit).
        for optimizer, variables in (
            (d_optimizer, self.discriminator_variables),
            (g_optimizer, self.generator_variables),
        ):
            if not optimizer.built:
                optimizer.build(variables)
        from keras.src.saving import serialization_lib

        self._compile_config = serialization_lib.SerializableDict(
            g_optimizer=g_optimizer, d_optimizer=d_optimizer, **kwargs
        )

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(_portable(config)))  # builds both optimisers

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, *args):
        # TensorFlow calls train_step(data); JAX calls train_step(state, data) and expects
        # (logs, state) back.
        backend = keras.backend.backend()
        if backend == "tensorflow":
            return self._tf_train_step(*args)
        if backend == "jax":
            return self._jax_train_step(*args)
        if backend == "torch":
            return self._torch_train_step(*args)
        raise NotImplementedError(
            "RecurrentGAN.train_step runs on the TensorFlow, JAX and torch backends (two optimisers need a "
            f"custom step per backend); the current backend is {backend!r}. Sampling and inference "
            "work on any backend."
        )

    def _tf_train_step(self, data):
        import tensorflow as tf

        real, observed = self._real_batch(data)
        with tf.GradientTape() as tape:
            d_loss = self._d_loss(real, self._fake_batch(observed, training=True), observed)
        variables = self.discriminator_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        for _ in range(self.generator_steps):
            with tf.GradientTape() as tape:
                g_loss = self._g_loss(real, self._fake_batch(observed, training=True), observed)
            variables = self.generator_variables
            self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    def _torch_train_step(self, data):
        import torch

        def update(loss_fn, variables, optimizer):
            for v in self.trainable_variables:  # both networks: backward() accumulates into .grad
                v.value.grad = None
            loss = loss_fn()
            loss.backward()
            with torch.no_grad():
                optimizer.apply([v.value.grad for v in variables], variables)
            return loss

        def fake_for_discriminator():
            # The discriminator's update only needs the fake values: backward() would
            # otherwise run through the generator too (TF's tape and jax.grad prune that).
            with torch.no_grad():
                return self._fake_batch(observed, training=True)

        real, observed = self._real_batch(data)
        d_loss = update(
            lambda: self._d_loss(real, fake_for_discriminator(), observed),
            self.discriminator_variables,
            self.d_optimizer,
        )
        for _ in range(self.generator_steps):
            g_loss = update(
                lambda: self._g_loss(real, self._fake_batch(observed, training=True), observed),
                self.generator_variables,
                self.g_optimizer,
            )
        self.d_loss_tracker.update_state(d_loss.detach())
        self.g_loss_tracker.update_state(g_loss.detach())
        return {m.name: m.result() for m in self.metrics}

    # -- JAX ------------------------------------------------------------------------------
    # The JAX trainer passes the model's state explicitly: (trainable, non-trainable,
    # optimizer, metrics) values. Its "optimizer" part holds `self.optimizer.variables` only,
    # so the three `_get_jax_state`/`jax_state_sync`/`_get_state_sharding_spec` overrides
    # below (Keras 3.15 private hooks, as in Keras' own JAX trainer) carry both optimisers'.
    @property
    def _jax_optimizer_variables(self):
        variables = {id(v): v for v in [*self.optimizer.variables, *self.g_optimizer.variables]}
        return list(variables.values())

    def _get_jax_state(
        self,
        trainable_variables=False,
        non_trainable_variables=False,
        optimizer_variables=False,
        metrics_variables=False,
        purge_model_variables=False,
    ):
        state = list(
            super()._get_jax_state(
                trainable_variables, non_trainable_variables, False, metrics_variables, purge_model_variables
            )
        )
        if optimizer_variables:
            state.insert(
                int(trainable_variables) + int(non_trainable_variables),
                [v.value for v in self._jax_optimizer_variables],
            )
        return tuple(state)

    def jax_state_sync(self):
        state = getattr(self, "_jax_state", None)
        if state and not self._jax_state_synced and state.get("optimizer_variables"):
            for variable, value in zip(self._jax_optimizer_variables, state["optimizer_variables"], strict=True):
                variable.assign(value)
        super().jax_state_sync()  # the rest; `self.optimizer`'s variables again, unchanged

    def _get_state_sharding_spec(self):
        trainable, non_trainable, _, metrics = super()._get_state_sharding_spec()
        return trainable, non_trainable, [v.value.sharding for v in self._jax_optimizer_variables], metrics

    def _jax_train_step(self, state, data):
        import jax

        trainable, non_trainable, optimizer_values, metrics_values = state
        model_trainable = self.trainable_variables
        position = {id(v): i for i, v in enumerate(model_trainable)}
        optimizer_state = dict(zip(map(id, self._jax_optimizer_variables), optimizer_values, strict=True))

        def run(fn, trainable, non_trainable):
            """fn() with the variables read from (and written to) the given values →
            (fn(), new non-trainable values: normaliser, seed generators)."""
            mapping = [*zip(model_trainable, trainable), *zip(self.non_trainable_variables, non_trainable)]
            with keras.StatelessScope(state_mapping=mapping) as scope:
                out = fn()
            return out, [scope.get_current_value(v) for v in self.non_trainable_variables]

        def update(loss_fn, variables, optimizer, trainable, non_trainable):
            """One optimiser step on `variables` (one network) → (loss, trainable, non-trainable)."""
            index = [position[id(v)] for v in variables]

            def loss_of(own, non_trainable):
                values = list(trainable)
                for i, value in zip(index, own):
                    values[i] = value
                return run(loss_fn, values, non_trainable)

            own = [trainable[i] for i in index]
            (loss, non_trainable), grads = jax.value_and_grad(loss_of, has_aux=True)(own, non_trainable)
            own, new_optimizer_values = optimizer.stateless_apply(
                [optimizer_state[id(v)] for v in optimizer.variables], grads, own
            )
            optimizer_state.update(zip(map(id, optimizer.variables), new_optimizer_values))
            trainable = list(trainable)
            for i, value in zip(index, own):
                trainable[i] = value
            return loss, trainable, non_trainable

        (real, observed), _ = run(lambda: self._real_batch(data), trainable, non_trainable)
        d_loss, trainable, non_trainable = update(
            lambda: self._d_loss(real, self._fake_batch(observed, training=True), observed),
            self.discriminator_variables,
            self.d_optimizer,
            trainable,
            non_trainable,
        )
        for _ in range(self.generator_steps):
            g_loss, trainable, non_trainable = update(
                lambda: self._g_loss(real, self._fake_batch(observed, training=True), observed),
                self.generator_variables,
                self.g_optimizer,
                trainable,
                non_trainable,
            )

        with keras.StatelessScope(state_mapping=list(zip(self.metrics_variables, metrics_values))) as scope:
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            logs = {m.name: m.result() for m in self.metrics}
        metrics_values = [scope.get_current_value(v) for v in self.metrics_variables]
        optimizer_values = [optimizer_state[id(v)] for v in self._jax_optimizer_variables]
        return logs, (trainable, non_trainable, optimizer_values, metrics_values)

    def test_step(self, *args):
        if keras.backend.backend() != "jax":
            return self._test_step(*args)
        (trainable, non_trainable, metrics_values), data = args  # JAX: stateless, as above
        mapping = [
            *zip(self.trainable_variables, trainable),
            *zip(self.non_trainable_variables, non_trainable),
            *zip(self.metrics_variables, metrics_values),
        ]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self._test_step(data)
        return logs, (
            trainable,
            [scope.get_current_value(v) for v in self.non_trainable_variables],
            [scope.get_current_value(v) for v in self.metrics_variables],
        )

    def _test_step(self, data):
        real, observed = self._real_batch(data)
        fake = self._fake_batch(observed, training=False)
        self.d_loss_tracker.update_state(self._d_loss(real, fake, observed))
        self.g_loss_tracker.update_state(self._g_loss(real, fake, observed))
        return {m.name: m.result() for m in self.metrics}

    def adapt(self, x):
        """Fits the normaliser, the output range and the default sample length on training
        series (array or list of arrays)."""
        series = self.series_list(x)
        self.normalizer.adapt(series)
        values = self.normalizer.normalize(np.concatenate(series))
        self.value_range.assign(np.stack([values.min(axis=0), values.max(axis=0)]).astype("float32"))
        self.default_length.assign(float(max(len(s) for s in series)))

    def batches(self, x, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Series → batches of raw series, all left-padded with NaN to the longest one."""
        import tensorflow as tf

        padded = series_data.pad_series(self.series_list(x))
        batch_size = batch_size or 128
        if shuffle:
            return windowing.shuffled_batches(padded, batch_size, seed=seed, epoch=epoch)
        return tf.data.Dataset.from_tensor_slices(padded).batch(batch_size)

    def plot(self, meta, directory, name, dataset=None):
        """Samples (seed 0) next to real series, for a preset trained on sines."""
        from rs3l_keras import plot
        from rs3l_keras.data.series import make_sines

        if "sines" not in str(meta.get("data", {}).get("name", "")):
            plot.preset_series(meta)  # raises: only sines are known for a GAN
        generated = self.sample(200, seed=0)
        real = make_sines(200, length=generated.shape[1], channels=generated.shape[2], seed=7)
        figure = plot.samples_vs_real(real, generated, n=8, title=f"{name}: samples (seed 0) vs real sines (seed 7)")
        return [plot.save(figure, pathlib.Path(directory) / "samples_vs_real.png")]

    # -- sampling -------------------------------------------------------------------------
    def sample(self, n, length=None, seed=None, batch_size=1024):
        """`n` generated series in the original scale (the normaliser inverted).

        Args:
            n: int > 0.
            length: int > 0 or None (default: the longest training series).
            seed: int or None. The same seed gives the same series.

        Returns:
            float32 numpy (n, length, channels).
        """
        check_positive_int(n, "n")
        if length is None:
            length = int(ops.convert_to_numpy(self.default_length))
            if length <= 0:
                raise ValueError(
                    "This RecurrentGAN was never adapted to training data, so it has no default length: pass `length=`."
                )
        check_positive_int(length, "length")
        check_positive_int(batch_size, "batch_size")
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal((n, length, self.noise_dim)).astype("float32")
        if self.static_noise_dim:
            static = rng.standard_normal((n, 1, self.static_noise_dim)).astype("float32")
            noise = np.concatenate([noise, np.repeat(static, length, axis=1)], axis=-1)
        out = [ops.convert_to_numpy(self._generate(noise[i : i + batch_size])) for i in range(0, n, batch_size)]
        return self.normalizer.invert(np.concatenate(out))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "noise_dim": self.noise_dim,
                "static_noise_dim": self.static_noise_dim,
                "output_activation": self.output_activation,
                "discriminator_output": self.discriminator_output,
                "moment_weight": self.moment_weight,
                "moment_differences": self.moment_differences,
                "generator_steps": self.generator_steps,
                "seed": self.seed,
            }
        )
        return config
