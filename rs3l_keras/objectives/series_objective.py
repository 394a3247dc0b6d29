"""`SeriesObjective`: the base of the time-series pretext objectives."""

import pathlib

import keras
import numpy as np

from rs3l_keras.data import series as series_data
from rs3l_keras.objectives.objective import Objective, check_self_supervised_inputs


class SeriesObjective(Objective):
    """A feature `RNNBackbone` behind a `SeriesNormalization` layer, plus a pretext head.

    Subclasses set `self.backbone` and `self.normalizer` before building their graph (the
    graph takes raw, NaN-left-padded series: see `rs3l_keras.data.series`). The
    normaliser is fitted on the training data the first time `fit` sees arrays (or call
    `adapt` yourself, e.g. before fitting on a `tf.data.Dataset`), and saved with the model.
    """

    takes_tokenizer = False
    #: Whether one 2-D `(time, channels)` (or 1-D) array is one long series (forecasting,
    #: anomaly scoring) rather than a batch.
    one_array_is_one_series = False
    #: What `make_dataset` takes, as its error message words it.
    expected_inputs = "series: an array (n, time, channels), a list of (time, channels) arrays or a tf.data.Dataset"

    @property
    def input_dim(self):
        return self.backbone.input_dim

    def adapt(self, x):
        """Fits the normaliser on training series (array or list of arrays)."""
        self.normalizer.adapt(self.series_list(x))

    def series_list(self, x, name="x", min_length=1, one_series=None):
        """Validated list of `(time_i, channels)` float32 arrays for this model (`one_series`:
        default `one_array_is_one_series`)."""
        one_series = self.one_array_is_one_series if one_series is None else one_series
        if one_series and isinstance(x, np.ndarray) and x.ndim in (1, 2):
            x = [x]
        return series_data.as_series_list(x, name=name, channels=self.input_dim, min_length=min_length)

    def make_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Series → the `tf.data.Dataset` of `fit`/`evaluate`: the targets come from `x` (a
        `y` is refused), a `tf.data.Dataset` passes through as it is, anything else goes to
        the objective's `batches`."""
        import tensorflow as tf

        check_self_supervised_inputs(self, x, y, self.expected_inputs)
        if isinstance(x, tf.data.Dataset):
            return x
        return self.batches(x, batch_size=batch_size, shuffle=shuffle, seed=seed, epoch=epoch)

    def batches(self, x, batch_size=None, shuffle=False, seed=None, epoch=None):
        """Raw series (arrays or lists of arrays) → batches of model inputs and targets."""
        raise NotImplementedError(f"{type(self).__name__} must implement `batches`.")

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

    def predict(self, x, batch_size=None, **kwargs):
        """Outputs for raw series (an array or a list of unequal-length arrays, padded here);
        a dict of model inputs or a `tf.data.Dataset` goes to Keras as it is."""
        import tensorflow as tf

        if not isinstance(x, (tf.data.Dataset, dict)):
            x = series_data.pad_series(self.series_list(x))
        return super().predict(x, batch_size=batch_size, **kwargs)

    def plot(self, meta, directory, name, dataset=None):
        """PCA of the embeddings of a UCR test split (`dataset`, default the one the preset's
        headline names, else GunPoint), pooled as the preset's probe was."""
        from rs3l_keras import plot
        from rs3l_keras.data.series import UNIVARIATE_UCR, load_ucr
        from rs3l_keras.finetune import embed

        headline = meta.get("headline_metric", "").split("_")[0]
        dataset = dataset or (headline if headline in UNIVARIATE_UCR else "GunPoint")
        pooling = meta.get("results_table", {}).get(dataset, {}).get("pooling") or "last"
        x, y = load_ucr(dataset, "test")
        figure = plot.embeddings_pca(
            embed(self, x, pooling=pooling),
            labels=y,
            title=f"{name}: {dataset} test split ({len(y)} series, {pooling} pooling)",
        )
        return [plot.save(figure, pathlib.Path(directory) / f"embeddings_pca_{dataset}.png")]

    def encoder_model(self):
        """A functional model: raw series `(batch, time, channels)` → backbone outputs dict."""
        inputs = keras.Input(shape=(None, self.input_dim), dtype="float32", name="features")
        return keras.Model(inputs, self.backbone(self.normalizer(inputs)), name=f"{self.name}_encoder")

    def embed(self, x, pooling="last", batch_size=256):
        """One vector per series, `(n, hidden)` numpy; see `rs3l_keras.embed`."""
        from rs3l_keras.finetune import embed

        return embed(self, x, pooling=pooling, batch_size=batch_size)
