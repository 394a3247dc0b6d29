"""ULMFiT's fine-tuning tools as Keras pieces: discriminative learning rates, gradual
unfreezing and the slanted triangular schedule.

Reference: Howard & Ruder (2018), *Universal Language Model Fine-tuning for Text
Classification* (§3.2: η^{l−1} = η^l / 2.6; STLR with cut_frac 0.1, ratio 32; §3.3:
gradual unfreezing, one more layer group per epoch from the top).
"""

import keras
from keras import ops

from rs3l_keras.validation import check_number, check_positive_int


@keras.saving.register_keras_serializable(package="rs3l_keras")
class SlantedTriangular(keras.optimizers.schedules.LearningRateSchedule):
    """Slanted triangular learning rate: a short linear warm-up to `max_lr` over
    `cut_frac` of the steps, then a long linear decay to `max_lr / ratio`.

    >>> schedule = SlantedTriangular(0.01, total_steps=100)
    >>> [round(float(schedule(s)), 5) for s in (0, 10, 100)]
    [0.00031, 0.01, 0.00031]
    """

    def __init__(self, max_lr, total_steps, cut_frac=0.1, ratio=32.0):
        check_number(max_lr, "max_lr", 0, low_open=True, expected="a positive number")
        check_positive_int(total_steps, "total_steps")
        check_number(cut_frac, "cut_frac", 0, 1, low_open=True, high_open=True, expected="in (0, 1)")
        if not ratio >= 1:
            raise ValueError(f"`ratio` must be ≥ 1, received {ratio!r}.")
        self.max_lr, self.total_steps, self.cut_frac, self.ratio = float(max_lr), total_steps, cut_frac, float(ratio)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        cut = max(1.0, self.total_steps * self.cut_frac)
        up = step / cut
        down = 1.0 - (step - cut) / max(1.0, self.total_steps - cut)
        p = ops.clip(ops.where(step < cut, up, down), 0.0, 1.0)
        return self.max_lr * (1.0 + p * (self.ratio - 1.0)) / self.ratio

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps, "cut_frac": self.cut_frac, "ratio": self.ratio}


@keras.saving.register_keras_serializable(package="rs3l_keras")
class DiscriminativeAdam(keras.optimizers.Adam):
    """Adam with one learning rate per layer group: group g (0 = the head, counting down
    the network) trains at `learning_rate × decay^(−g) × group_scale[g]`.

    `group_scale` is an optimizer variable (1 = trainable, 0 = frozen) that
    `GradualUnfreezing` changes between epochs; frozen groups get no update. Variables in
    no group train at the base rate. Build one with `discriminative_optimizer(model)`.

    Backends: the per-variable rate works on every backend; changing `group_scale` from a
    callback in the middle of `fit` is picked up on TensorFlow (on JAX the trainer keeps
    its own copy of optimizer state until `fit` returns).
    """

    def __init__(self, groups=(), decay=2.6, **kwargs):
        super().__init__(**kwargs)
        check_number(decay, "decay", 1, expected="a number ≥ 1")
        self.groups = [list(g) for g in groups]
        self.decay = float(decay)
        self._group_of_path = {path: i for i, group in enumerate(self.groups) for path in group}

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.group_scale = self.add_variable(shape=(max(1, len(self.groups)),), initializer="ones", name="group_scale")
        self._factor_of_index = {}
        for variable in var_list:
            group = self._group_of_path.get(variable.path)
            self._factor_of_index[self._get_variable_index(variable)] = group

    def update_step(self, gradient, variable, learning_rate):
        group = self._factor_of_index.get(self._get_variable_index(variable))
        if group is not None:
            learning_rate = learning_rate * (self.decay**-group) * self.group_scale[group]
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "decay": self.decay})
        return config


def discriminative_optimizer(model, learning_rate=1e-3, decay=2.6, **kwargs):
    """A `DiscriminativeAdam` for a `FineTunedModel`, groups from `model.layer_groups()`,
    with global gradient-norm clipping at 1.0 unless given."""
    kwargs.setdefault("global_clipnorm", 1.0)
    groups = [[v.path for v in group] for group in model.layer_groups()]
    return DiscriminativeAdam(groups=groups, decay=decay, learning_rate=learning_rate, **kwargs)


def compile_ulmfit(model, learning_rate, total_steps, pretrained=True, gradual_unfreezing=True):
    """Compiles a `FineTunedModel` with the ULMFiT recipe and returns the callbacks for `fit`.

    The learning rate follows `SlantedTriangular(learning_rate, total_steps)`. With
    `pretrained`: discriminative learning rates per layer group (`discriminative_optimizer`)
    and, with `gradual_unfreezing`, a `GradualUnfreezing` callback. Without (the same
    network trained from scratch): plain Adam with global gradient-norm clipping at 1.0 and
    no callbacks.
    """
    schedule = SlantedTriangular(learning_rate, total_steps)
    if not pretrained:
        model.compile(optimizer=keras.optimizers.Adam(schedule, global_clipnorm=1.0))
        return []
    model.compile(optimizer=discriminative_optimizer(model, schedule))
    return [GradualUnfreezing()] if gradual_unfreezing else []


class GradualUnfreezing(keras.callbacks.Callback):
    """Starts with only the head trainable and unfreezes one more layer group (from the
    top) at the start of each epoch: epoch e trains groups 0..e (ULMFiT §3.3).

    Needs a `DiscriminativeAdam` optimizer (see `discriminative_optimizer`).
    """

    def __init__(self, groups_per_epoch=1):
        super().__init__()
        check_positive_int(groups_per_epoch, "groups_per_epoch")
        self.groups_per_epoch = groups_per_epoch
        self.history = []

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not isinstance(optimizer, DiscriminativeAdam):
            raise TypeError(
                "GradualUnfreezing needs a DiscriminativeAdam optimizer (use "
                f"rs3l.discriminative_optimizer(model)); received {type(optimizer).__name__}."
            )
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        count = len(optimizer.groups)
        unfrozen = min(count, 1 + epoch * self.groups_per_epoch)
        optimizer.group_scale.assign([1.0 if g < unfrozen else 0.0 for g in range(count)])
        self.history.append(unfrozen)


def finetune_language_model(lm, texts, epochs=1, learning_rate=2e-3, batch_size=32, seed=0, verbose=0):
    """ULMFiT stage 2: adapts a general `LanguageModel` to a task's own (unlabelled) text, in
    place, with the slanted triangular learning rate (§3.2). Returns the Keras `History`.

    Args:
        lm: a `LanguageModel` (e.g. `rs3l.load_pretrained("lstm-lm-english")`).
        texts: list of str. The task's text, without labels (train and unlabelled texts; never
            the test split).
        epochs, learning_rate, batch_size, seed: the schedule (`SlantedTriangular(learning_rate)`
            over all steps, Adam with global norm clipping 1.0).
    """
    from rs3l_keras.objectives.language_model import LanguageModel

    if not isinstance(lm, LanguageModel):
        raise TypeError(f"`lm` must be a LanguageModel, received {type(lm).__name__}.")
    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    if isinstance(texts, str) or not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError("`texts` must be a non-empty list of str.")
    data = lm.make_dataset(list(texts), batch_size=batch_size, shuffle=True, seed=seed)
    steps = max(1, int(data.cardinality())) * epochs
    lm.compile(optimizer=keras.optimizers.Adam(SlantedTriangular(learning_rate, steps), global_clipnorm=1.0))
    return lm.fit(list(texts), epochs=epochs, batch_size=batch_size, seed=seed, verbose=verbose)


def fit_classifier(
    model, texts, labels, epochs=4, learning_rate=2e-3, batch_size=16, seed=0, verbose=0, pretrained=True
):
    """ULMFiT stage 3: trains a `FineTunedModel` classifier with discriminative learning rates,
    gradual unfreezing (one more layer group per epoch) and the slanted triangular schedule
    (`compile_ulmfit`). `pretrained=False` (the same network from random weights, a control):
    the same schedule on plain Adam, every layer trained from the first step. Returns the
    Keras `History`."""
    import math

    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    steps = epochs * math.ceil(len(labels) / batch_size)
    callbacks = compile_ulmfit(model, learning_rate, steps, pretrained=pretrained, gradual_unfreezing=epochs > 1)
    return model.fit(
        texts, labels, epochs=epochs, batch_size=batch_size, seed=seed, verbose=verbose, callbacks=callbacks
    )
