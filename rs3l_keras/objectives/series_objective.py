"""`SeriesObjective`: the base of the time-series pretext objectives."""

import keras

from rs3l_keras.data import series as series_data
from rs3l_keras.objectives.objective import Objective


class SeriesObjective(Objective):
    """A feature `RNNBackbone` behind a `SeriesNormalization` layer, plus a pretext head.

    Subclasses set `self.backbone` and `self.normalizer` before building their graph (the
    graph takes raw, NaN-left-padded series: see `rs3l_keras.data.series`). The
    normaliser is fitted on the training data the first time `fit` sees arrays (or call
    `adapt` yourself, e.g. before fitting on a `tf.data.Dataset`), and saved with the model.
    """

    @property
    def input_dim(self):
        return self.backbone.input_dim

    def adapt(self, x):
        """Fits the normaliser on training series (array or list of arrays)."""
        self.normalizer.adapt(self.series_list(x))

    def series_list(self, x, name="x", min_length=1):
        """Validated list of `(time_i, channels)` float32 arrays for this model."""
        return series_data.as_series_list(x, name=name, channels=self.input_dim, min_length=min_length)

    def fit(self, x=None, y=None, *args, **kwargs):
        import tensorflow as tf

        if not self.normalizer.is_adapted:
            if isinstance(x, tf.data.Dataset):
                raise ValueError(
                    f"This {type(self).__name__}'s normaliser is not fitted: call `model.adapt(train_series)` "
                    "before fitting on a tf.data.Dataset (or pass arrays to `fit`)."
                )
            if x is not None:
                self.adapt(x)
        return super().fit(x, y, *args, **kwargs)

    def encoder_model(self):
        """A functional model: raw series `(batch, time, channels)` → backbone outputs dict."""
        inputs = keras.Input(shape=(None, self.input_dim), dtype="float32", name="features")
        return keras.Model(inputs, self.backbone(self.normalizer(inputs)), name=f"{self.name}_encoder")

    def embed(self, x, pooling="last", batch_size=256):
        """One vector per series, `(n, hidden)` numpy; see `rs3l_keras.embed`."""
        from rs3l_keras.finetune import embed

        return embed(self, x, pooling=pooling, batch_size=batch_size)
