"""`Objective`: the base of every pretext task (a Keras `Model` around an `RNNBackbone`)."""

import warnings

import keras
import numpy as np

from rs3l_keras.data import windowing
from rs3l_keras.data.tokenizers import BOS_ID, Tokenizer
from rs3l_keras.distribute import shardable
from rs3l_keras.functional import TorchSafeSetattr
from rs3l_keras.validation import renamed_argument


def check_self_supervised_inputs(objective, x, y, expected):
    """A pretext objective builds its targets from `x`: refuse a `y`, and a missing `x`."""
    if y is not None:
        raise ValueError(f"A {type(objective).__name__} builds its own targets from `x`; received `y` too.")
    if x is None:
        raise ValueError(f"`x` is None: expected {expected}.")


class EpochCounter(keras.callbacks.Callback):
    """Publishes the epoch number to the input pipeline (see `windowing.shuffled_batches`),
    so each epoch's data order depends on the seed and the epoch only: resumed runs replay."""

    def __init__(self, variable):
        super().__init__()
        self.variable = variable

    def on_epoch_begin(self, epoch, logs=None):
        self.variable.assign(epoch)


class Objective(TorchSafeSetattr, keras.Model):
    """A backbone plus a pretext head, trained with plain `compile()`/`fit()`.

    Like a KerasHub `Task`, an objective carries its preprocessing (a tokenizer for text)
    and maps it over the data in `fit`/`evaluate`/`predict`, so raw strings, token ids and
    `tf.data` datasets are all accepted, while the compiled graph only ever sees tensors.
    Subclasses build the functional graph and implement `make_dataset`; what differs
    between objectives in `compile` and `get_config` is stated by the class attributes
    below and the `default_*` methods.
    """

    #: `compile(optimizer="auto")`: Adam at this learning rate, global gradient-norm clipping at 1.0.
    learning_rate = 2e-3
    #: The rule for a user's `compile(loss=...)`: `"auto"` (or None) is the objective's own loss.
    #: Where the objective's loss is a plain function of (targets, predictions) (`fixed_loss`
    #: None: language models, seq2seq) another loss replaces it; where the loss is the method
    #: itself (contrastive, CPC, VAE, autoencoder, forecaster), `fixed_loss` names it and a
    #: `loss` given to `compile` is refused with a ValueError.
    fixed_loss = None
    #: Constructor arguments holding the recurrent networks that `get_config` serialises.
    network_args = ("backbone",)
    #: Whether the objective carries a tokenizer (text) in its config.
    takes_tokenizer = True
    #: Renamed constructor arguments, `{old: new}` (see `rs3l_keras.validation`): the old
    #: keyword still works with a DeprecationWarning (`_renamed`), so does the old attribute;
    #: configs saved under the old name load silently.
    renamed_args = {}

    # What the pretraining driver, the CLI and the preset tests ask of an objective:
    #: The `--objective` name of `rs3l pretrain` (None: not trained by it).
    pretrain_name = None
    #: Constructor arguments `pretrain.build_text_model` passes on, and whether the backbone
    #: it builds reads both directions.
    pretrain_options = ()
    bidirectional_backbone = False
    #: `sequence_length` of `rs3l pretrain` when none is given.
    pretrain_sequence_length = 128
    #: `(history key, metric name)`: the training metric recorded from the last epoch.
    train_metric = None
    #: The key of `heldout_report()["metrics"]` a preset records as its headline, and how
    #: close a re-measurement must come to it: `(absolute, relative)`.
    headline_metric = None
    headline_tolerance = (0.0, 0.0)

    def pretrain_callbacks(self, steps, kl_warmup_steps=None):
        """Callbacks the objective needs in `pretrain_text_model`'s `fit` (`steps`: in all)."""
        return []

    def heldout_report(self, text, num_lines=500, compare_with=None):
        """The held-out evaluation a preset records: a dict with `"metrics"` (the headline
        among them) and, where the objective has them, `"baselines"`, `"evaluation"` (how it
        was measured) and `"samples"` (for the model card)."""
        raise NotImplementedError(f"A {type(self).__name__} has no held-out report.")

    def plot(self, meta, directory, name, dataset=None):
        """The figures of a preset (`rs3l plot`): draws them into `directory` from the
        preset's metadata `meta`, returns their paths."""
        raise NotImplementedError(f"A {type(self).__name__} has no preset figure.")

    @classmethod
    def _renamed(cls, kwargs, new, value, default):
        """`value` of the argument `new`, or of its old name in `kwargs` (warned, removed)."""
        for old, target in cls.renamed_args.items():
            if target == new:
                value = renamed_argument(kwargs, old, new, value, default, stacklevel=4)
        return value

    def __getattr__(self, name):  # only called when normal lookup fails
        new = type(self).renamed_args.get(name)
        if new is not None:
            warnings.warn(
                f"`{type(self).__name__}.{name}` is deprecated and will be removed: use `.{new}` (same meaning).",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(self, new)
        parent = getattr(super(), "__getattr__", None)  # torch.nn.Module has one, TF/JAX layers none
        if parent is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return parent(name)

    def __init__(self, *args, tokenizer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tokenizer is not None and not isinstance(tokenizer, Tokenizer):
            raise TypeError(f"`tokenizer` must be an rs3l_keras Tokenizer, received {type(tokenizer).__name__}.")
        self.tokenizer = tokenizer

    def make_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Turns user data into a batched `tf.data.Dataset` of model inputs and targets.

        The base version passes a `tf.data.Dataset` through and slices arrays `(x, y)`;
        objectives override it to tokenise text and build their targets.
        """
        import tensorflow as tf

        if isinstance(x, tf.data.Dataset):
            return x
        if x is None:
            raise ValueError("`x` is None: expected training data.")
        data = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
        if shuffle:
            data = data.shuffle(10_000, seed=seed)
        return data.batch(batch_size or 32).prefetch(tf.data.AUTOTUNE)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, validation_data=None, shuffle=True, seed=None, **kwargs):
        """Keras `fit`, after mapping the objective's preprocessing over `x` (and
        `validation_data`). `x` may be raw strings, token ids or a `tf.data.Dataset`."""
        import tensorflow as tf

        counter = EpochCounter(tf.Variable(0, dtype=tf.int64, trainable=False))
        train = self.make_dataset(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, epoch=counter.variable)
        kwargs["callbacks"] = [counter, *(kwargs.get("callbacks") or [])]
        if validation_data is not None:
            if (
                isinstance(validation_data, tuple)
                and len(validation_data) == 2
                and not isinstance(validation_data[0], str)
            ):
                validation_data = self.make_dataset(*validation_data, batch_size=batch_size)
            else:
                validation_data = self.make_dataset(validation_data, batch_size=batch_size)
        if validation_data is not None:
            validation_data = shardable(validation_data)
        # Shuffling already happened in the pipeline (seeded); Keras ignores it for datasets.
        return super().fit(shardable(train), epochs=epochs, validation_data=validation_data, shuffle=False, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        """Keras `evaluate` on raw strings, token ids or a `tf.data.Dataset`."""
        data = self.make_dataset(x, y, batch_size=batch_size, shuffle=False)
        return super().evaluate(shardable(data), **kwargs)

    def predict(self, x, batch_size=None, **kwargs):
        """Keras `predict`; raw strings go through `predict_inputs` (tokenised, right-padded
        with id 0) first. A `tf.data.Dataset` or arrays go to Keras as they are."""
        if isinstance(x, str) or (isinstance(x, (list, tuple)) and x and all(isinstance(t, str) for t in x)):
            x = self.predict_inputs([x] if isinstance(x, str) else list(x))
        for value in x.values() if isinstance(x, dict) else [x]:
            if hasattr(value, "shape") and len(value.shape) and value.shape[0] == 0:
                raise ValueError(f"`x` is a batch of size 0 (shape {tuple(value.shape)}): nothing to predict.")
        if isinstance(x, (list, tuple)) and not x:
            raise ValueError("`x` is an empty list: nothing to predict.")
        return super().predict(x, batch_size=batch_size, **kwargs)

    def predict_inputs(self, texts):
        """The model inputs for raw strings in `predict` (token ids, right-padded)."""
        return self.encode_batch(texts)

    def encode_batch(self, texts):
        """List of str → (batch, max_len) int32 ids, right-padded with 0."""
        if self.tokenizer is None:
            raise ValueError("String inputs need a tokenizer; this model has none.")
        return windowing.pad_ids([self.tokenizer.encode(t) for t in texts])

    def default_loss(self):
        """The compile loss of `compile(loss="auto")`; None: the objective's `compute_loss`."""
        return None

    def default_metrics(self):
        """The metrics of `compile(metrics="auto")`."""
        return None

    def default_weighted_metrics(self):
        """The weighted metrics of `compile(weighted_metrics="auto")`."""
        return None

    def compile(self, optimizer="auto", loss="auto", metrics="auto", weighted_metrics="auto", **kwargs):
        """Keras `compile` with the objective's defaults: Adam(`learning_rate`) with global
        gradient-norm clipping at 1.0, `default_loss()`, `default_metrics()`. A `loss` other
        than "auto" replaces the objective's loss, or is refused where the loss is fixed
        (see `fixed_loss`)."""
        if isinstance(optimizer, str) and optimizer == "auto":
            optimizer = keras.optimizers.Adam(learning_rate=self.learning_rate, global_clipnorm=1.0)
        if isinstance(loss, str) and loss == "auto" or loss is None:
            loss = self.default_loss()
        elif self.fixed_loss is not None:
            raise ValueError(
                f"A {type(self).__name__} trains with its own loss ({self.fixed_loss}): `compile` takes no "
                f"`loss`, received loss={loss!r}."
            )
        if isinstance(metrics, str) and metrics == "auto":
            metrics = self.default_metrics()
        if isinstance(weighted_metrics, str) and weighted_metrics == "auto":
            weighted_metrics = self.default_weighted_metrics()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, weighted_metrics=weighted_metrics, **kwargs)

    def compile_from_config(self, config):
        # Our `compile` only fills in defaults, so the stored arguments replay it exactly.
        config = keras.saving.deserialize_keras_object(_portable(config))
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def get_config(self):
        """The base of every objective's config: name, its recurrent networks (`network_args`)
        and, for text, its tokenizer; subclasses add their own arguments."""
        config = {"name": self.name, "trainable": self.trainable}
        for arg in self.network_args:
            config[arg] = keras.saving.serialize_keras_object(getattr(self, arg))
        if self.takes_tokenizer:
            config["tokenizer"] = (
                keras.saving.serialize_keras_object(self.tokenizer) if self.tokenizer is not None else None
            )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for old, new in cls.renamed_args.items():  # saved before the rename
            if old in config:
                config.setdefault(new, config.pop(old))
        for key in (*cls.network_args, "tokenizer"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _portable(config):
    """A saved compile config that loads on any backend.

    On torch, Keras saves its optimisers under backend modules
    (`keras.src.backend.torch.optimizers.torch_adam.Adam`); deserialising that on
    TensorFlow would import torch into the TensorFlow process (a crash here). Such classes
    are the backend's form of the public `keras.optimizers` class of the same name."""
    if isinstance(config, dict):
        config = {key: _portable(value) for key, value in config.items()}
        module = config.get("module")
        if isinstance(module, str) and module.startswith("keras.src.backend.") and ".optimizers." in module:
            config["module"] = "keras.optimizers"
        return config
    if isinstance(config, list):
        return [_portable(value) for value in config]
    return config


class EncoderDecoder(Objective):
    """Base of the encoder-decoder objectives (`Seq2Seq`, `SequenceVAE`): inputs are
    `{"encoder_token_ids", "decoder_token_ids"}`, lines are truncated to `sequence_length`, and
    the encoder is the backbone that fine-tuning keeps."""

    network_args = ("encoder",)

    @property
    def backbone(self):
        return self.encoder

    def encode_lines(self, texts):
        """List of str → list of 1-D id arrays, each cut to `sequence_length` tokens."""
        if self.tokenizer is None:
            raise ValueError("Text inputs need a tokenizer; this model has none.")
        if not isinstance(texts, (list, tuple)) or not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError("`x` must be text or a non-empty list of str.")
        return [self.tokenizer.encode(t)[: self.sequence_length] for t in texts]

    def predict_inputs(self, texts):
        """Raw strings → encoder ids = the text, decoder ids = `<bos>` + the text (the
        logits of reproducing each string)."""
        ids = self.encode_batch(texts)[:, : self.sequence_length]
        decoder = np.concatenate([np.full((len(ids), 1), BOS_ID, "int32"), ids], axis=1)
        return {"encoder_token_ids": ids, "decoder_token_ids": decoder}
