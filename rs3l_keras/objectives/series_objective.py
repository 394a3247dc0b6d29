"""`SeriesObjective`: the base of the time-series pretext objectives."""

import pathlib

import keras
import numpy as np

from rs3l_keras import anomaly
from rs3l_keras.data import series as series_data
from rs3l_keras.objectives.objective import Objective, check_self_supervised_inputs
from rs3l_keras.validation import check_one_of, check_positive_int


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

    def fit(self, x=None, y=None, *args, holdout=None, threshold_rule=None, **kwargs):
        """Keras `fit` on raw series. For objectives that score anomalies
        (`calibration_holdout` > 0, e.g. `SequenceAutoencoder`), one long normal series
        `x` is split in time: the model trains on its head and the anomaly threshold is set
        from the scores of its last `holdout` share, which it never trained on
        (`fit_threshold`, rule `threshold_rule`, default the objective's `threshold_rule`;
        see `rs3l_keras.anomaly`). `holdout=0`
        trains on all of `x` and sets no threshold."""
        one_series = self.one_array_is_one_series and isinstance(x, np.ndarray) and x.ndim in (1, 2)
        if holdout and not one_series:
            raise ValueError(
                f"`holdout={holdout}` calibrates an anomaly threshold on the tail of one long normal "
                f"series; received {type(x).__name__}{getattr(x, 'shape', '')}. Pass one (time, channels) "
                "array, or leave `holdout` unset."
            )
        holdout = self.calibration_holdout if holdout is None else holdout
        if holdout and one_series:
            train, calibration = anomaly.holdout_split(x, holdout, self.calibration_min_length)
            history = self._fit(train, y, *args, **kwargs)
            self.fit_threshold(calibration, rule=threshold_rule, holdout=holdout, context=train)
            return history
        return self._fit(x, y, *args, **kwargs)

    def _fit(self, x=None, y=None, *args, **kwargs):
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

    # -- anomaly detection: one interface over every objective that scores steps ---------
    #: Share of one long normal series that `fit` keeps out of training to set the anomaly
    #: threshold (0: `fit` sets none).
    calibration_holdout = 0.0

    @property
    def calibration_min_length(self):
        """Fewest steps `fit` keeps for training and for calibration (one window)."""
        return 1

    #: Steps before a step that its anomaly score reads (the forecaster's history); `fit`
    #: scores the calibration tail after that many training steps, so its first steps are
    #: scored as any other step.
    anomaly_context = 0
    #: The default span of the smoothing `anomaly_scores` applies: `sequence_length` // this
    #: (at least 1); None: no smoothing unless asked. Set per objective by the anomaly
    #: benchmark's smoothing rule (`rs3l_keras.evaluation.anomaly`).
    score_smoothing_divisor = None
    #: A span set by the constructor's `score_smoothing=` (None: the default above).
    score_smoothing = None
    #: The rule `fit` and `fit_threshold` set the threshold by unless given one
    #: (`rs3l_keras.anomaly.THRESHOLD_RULES`). Set per objective by the anomaly benchmark's
    #: calibration rule (`rs3l_keras.evaluation.anomaly`).
    threshold_rule = anomaly.DEFAULT_RULE

    @property
    def anomaly_smoothing(self):
        """Steps of the centred moving average that `anomaly_scores` (and so `fit_threshold`
        and `detect`) applies to the per-step scores (1: none)."""
        if self.score_smoothing is not None:
            return self.score_smoothing
        if self.score_smoothing_divisor is None:
            return 1
        return max(1, getattr(self, "sequence_length", 1) // self.score_smoothing_divisor)

    def step_scores(self, series, **kwargs):
        """Per-step anomaly scores `(time,)` of one long series before smoothing (higher: more
        anomalous)."""
        raise NotImplementedError(f"{type(self).__name__} does not score anomalies.")

    def anomaly_scores(self, series, *, smoothing=None, **kwargs):
        """Per-step anomaly scores `(time,)` of one long series: `step_scores` averaged over a
        centred span of `smoothing` steps (default `anomaly_smoothing`; 1: unsmoothed;
        `rs3l_keras.anomaly.smooth_scores`), so a range anomaly scores as a block. The span
        reads steps after a step too: a step's score is final `smoothing − smoothing // 2 − 1`
        steps later (3 for a span of 8).
        `kwargs` go to `step_scores`. Returns float32 numpy `(time,)`."""
        span = self.anomaly_smoothing if smoothing is None else smoothing
        check_positive_int(span, "smoothing")
        return anomaly.smooth_scores(self.step_scores(series, **kwargs), span).astype("float32")

    def scores_after(self, series, context=None, **kwargs):
        """`anomaly_scores` of `series` read after `context`, the steps just before it (only
        read as history, by objectives whose scores look back: the last `anomaly_context`
        steps of it): the step scores cut to `series`, then smoothed over `series` only, as
        `detect` smooths a series it is given. float64 numpy `(time,)`."""
        lead = min(self.anomaly_context, 0 if context is None else len(context))
        if lead:
            series = np.concatenate([np.asarray(context)[len(context) - lead :], np.asarray(series)])
        return anomaly.smooth_scores(self.step_scores(series, **kwargs)[lead:], self.anomaly_smoothing)

    def scores_with_history(self, series, name="series", **kwargs):
        """`anomaly_scores` of the steps of `series` after its first `anomaly_context` steps,
        which are read as their history only (`scores_after`): every step scored as a step
        of a longer series is, none from a cut-off history. For objectives that do not look
        back (`anomaly_context` 0) these are the scores of every step. float64 numpy.

        Raises:
            ValueError: `series` has no step after its first `anomaly_context` (the message
                names `name`).
        """
        lead = self.anomaly_context
        if len(series) <= lead:
            raise ValueError(
                f"`{name}` must have more than {lead} steps (the history that {type(self).__name__}'s "
                f"anomaly scores read), received {len(series)}."
            )
        return self.scores_after(series[lead:], series[:lead] if lead else None, **kwargs)

    @property
    def anomaly_threshold(self):
        """The stored threshold on `anomaly_scores` (a float), or None before `fit_threshold`."""
        variable = getattr(self, "threshold", None)
        if variable is None:
            return getattr(self, "_anomaly_threshold", None)
        value = float(np.asarray(variable))
        return value if value >= 0 else None

    def fit_threshold(self, series, rule=None, quantile=0.99, risk=1e-4, holdout=None, context=None, **kwargs):
        """Sets the anomaly threshold from the scores of **normal data the model did not
        train on** (`series`) by `rule` (`"max"`, `"quantile"`, `"pot"` or `"pot_pooled"`:
        see `rs3l_keras.anomaly`; default this objective's `threshold_rule`) and stores it in
        the model (`threshold_info` says how). `context`: the steps just before `series`
        (read as history by objectives whose scores look back, `anomaly_context`); the
        scores are `scores_after(series, context)`. `"pot_pooled"` also reads the scores of
        `context` itself (`scores_with_history`: its steps after the first `anomaly_context`,
        read with those as history), which must be the normal steps the model trained on
        (`fit` passes its training head); when it is only the default and no `context` is given (normal
        data kept aside, say), the rule is `"pot"` on `series` alone, as `threshold_info`
        records. `kwargs` go to `step_scores`.
        Returns the threshold."""
        explicit = rule is not None
        rule = rule if explicit else self.threshold_rule
        check_one_of(rule, "rule", list(anomaly.THRESHOLD_RULES))
        training = None
        if rule in anomaly.TRAINING_RULES and (context is None or not len(context)):
            if explicit:
                raise ValueError(
                    f"`rule={rule!r}` pools the scores of `series` with those of the normal steps the model "
                    "trained on: pass them as `context=` (received none), or choose `rule='pot'`."
                )
            rule = "pot"
        if rule in anomaly.TRAINING_RULES:
            training = self.scores_with_history(np.asarray(context), name="context", **kwargs)
        scores = self.scores_after(series, context, **kwargs)
        value = anomaly.threshold_from_scores(scores, rule, quantile=quantile, risk=risk, training_scores=training)
        variable = getattr(self, "threshold", None)
        if variable is None:
            self._anomaly_threshold = value  # objectives without a threshold weight: not saved
        else:
            variable.assign(value)
        info = {
            "rule": rule,
            "calibration_steps": int(len(scores)),
            "threshold": value,
            "smoothing": self.anomaly_smoothing,
        }
        if rule == "quantile":
            info["quantile"] = quantile
        if rule.startswith("pot"):
            info["risk"] = risk
        if training is not None:
            info["training_steps"] = int(len(training))
        if holdout:
            info["holdout"] = holdout
        self.threshold_info = info
        return value

    def detect(self, series, contamination=None, **kwargs):
        """Boolean `(time,)`: the steps of one long series whose anomaly score exceeds the
        stored threshold, or (`contamination`, a share in (0, 0.5]) the top that share of
        its steps. `kwargs` go to `anomaly_scores`."""
        if contamination is None and self.anomaly_threshold is None:
            raise ValueError(
                "No anomaly threshold yet: `fit` on one long normal series sets it (from its held-out "
                "tail), or call `fit_threshold(normal_series_not_trained_on)`, or pass `contamination=`."
            )
        if contamination is not None:
            anomaly.contamination_threshold(np.zeros(2), contamination)  # checks the value first
        scores = self.anomaly_scores(series, **kwargs)
        if contamination is None:
            return scores > self.anomaly_threshold
        return scores > anomaly.contamination_threshold(scores, contamination)

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
