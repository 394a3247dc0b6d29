"""Figures of training runs and results: curves, forecasts, anomaly scores, embeddings,
generated samples and label efficiency.

Every function returns a `matplotlib.figure.Figure` built directly (no `pyplot`): no
global state, no GUI backend is touched, so it is safe headless, in threads and next to an
interactive session (the user's backend is left as it is). With `path=...` the figure is
also written as a PNG (`save`: atomic, parent folders created). Nothing needs closing: the
figure is not registered with pyplot and is freed once the caller drops it. In Jupyter,
`display(figure)` (or the figure as a cell's last value, with the inline backend) shows it.

This module imports matplotlib, so it is not imported by `import rs3l_keras`:

    >>> from rs3l_keras import plot
    >>> figure = plot.training_curves({"loss": [2.1, 1.6, 1.4], "val_loss": [2.0, 1.7, 1.6]})
    >>> [ax.get_title() for ax in figure.axes]
    ['loss']
"""

import math
import numbers
import os
import pathlib
import textwrap
import uuid

import numpy as np

from rs3l_keras.validation import check_int, check_number, check_positive_int

__all__ = [
    "anomaly_scores",
    "embeddings_pca",
    "forecast",
    "label_efficiency",
    "reconstructions",
    "samples_vs_real",
    "save",
    "training_curves",
]

DPI = 120
TRUTH, FORECAST, ANOMALY = "black", "tab:blue", "tab:red"


# -- saving and figure set-up -----------------------------------------------------------
def preset_series(meta):
    """The offline loader of a time-series preset's data, read from its metadata."""
    from rs3l_keras.data import series

    data = meta.get("data", {})
    text = f"{data.get('name', '')} {data.get('source', '')}".lower()
    for key, loader in (
        ("elecdemand", series.load_elecdemand),
        ("airline", series.load_airline),
        ("co2", series.load_co2),
        ("kdd_tsad_135", series.load_kdd_tsad_135),
    ):
        if key in text:
            return loader
    raise ValueError(
        f"preset {meta.get('name')!r} was trained on {data.get('name')!r}, not on an offline "
        "dataset `rs3l plot` can load (elecdemand, airline, co2, UCR anomaly 135): expected one of "
        "the zoo's time-series presets."
    )


def save(figure, path, dpi=DPI):
    """Writes `figure` as a PNG at `path` atomically (a temporary file in the same folder,
    then `os.replace`), creating parent folders. Returns the path as a `pathlib.Path`.

    >>> import tempfile, pathlib
    >>> from rs3l_keras import plot
    >>> out = plot.save(plot.training_curves({"loss": [1.0, 0.5]}), pathlib.Path(tempfile.mkdtemp()) / "a" / "c.png")
    >>> out.stat().st_size > 0
    True
    """
    from matplotlib.figure import Figure

    if not isinstance(figure, Figure):
        raise TypeError(f"`figure` must be a matplotlib Figure, received {type(figure).__name__}.")
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise TypeError(f"`path` must be a file path (str or os.PathLike), received {path!r}.")
    path = pathlib.Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"`path` must name a .png file (figures are written as PNG), received {str(path)!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.stem}.{uuid.uuid4().hex}.png.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # mode as any new file (umask applies)
    try:
        with os.fdopen(fd, "wb") as f:
            figure.savefig(f, format="png", dpi=dpi)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _figure(nrows=1, ncols=1, width=None, height=None, **kwargs):
    """A pyplot-free figure with a constrained layout and an `(nrows, ncols)` array of axes."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width or 4.0 * ncols + 1, height or 3.0 * nrows), layout="constrained")
    return figure, figure.subplots(nrows, ncols, squeeze=False, **kwargs)


def _finish(figure, path, title):
    if title is not None:  # wrapped to the figure's width (a suptitle is never shrunk to fit)
        width = int(figure.get_size_inches()[0] * 9)
        figure.suptitle("\n".join(textwrap.fill(line, width) for line in str(title).splitlines()))
    if path is not None:
        save(figure, path)
    return figure


# -- input checks ------------------------------------------------------------------------
def _vector(values, name, allow_nan=False):
    """A float64 1-D array from `(t,)` or `(t, 1)` numbers; errors name `name`."""
    if values is None or isinstance(values, (str, bytes, dict)):
        raise TypeError(f"`{name}` must be a 1-D array of numbers (t,) or (t, 1), received {type(values).__name__}.")
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be a 1-D array of numbers (t,) or (t, 1), could not convert "
            f"{type(values).__name__} to numbers."
        ) from None
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"`{name}` must have shape (t,) or (t, 1), received shape {array.shape}.")
    if len(array) == 0:
        raise ValueError(f"`{name}` is empty: expected at least one value.")
    bad = np.isinf(array) if allow_nan else ~np.isfinite(array)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        expected = "finite numbers or NaN" if allow_nan else "finite numbers"
        raise ValueError(f"`{name}` has {array[i]} at index {i}: expected {expected}.")
    return array


def _same_length(array, name, reference, reference_name):
    if len(array) != len(reference):
        raise ValueError(
            f"`{name}` has length {len(array)} but `{reference_name}` has length "
            f"{len(reference)}: expected the same length."
        )


def _series_batch(values, name):
    """A list of float64 `(t_i, c)` arrays from `(n, t)`, `(n, t, c)` or a list of `(t,)` /
    `(t, c)` arrays (NaN allowed: left padding)."""
    if values is None or isinstance(values, (str, bytes, dict)):
        raise TypeError(
            f"`{name}` must be an array (n, t) or (n, t, c) or a list of (t,) / (t, c) arrays, "
            f"received {type(values).__name__}."
        )
    if isinstance(values, (list, tuple)):
        items = list(values)
    else:
        array = np.asarray(values)
        if array.ndim not in (2, 3):
            raise ValueError(f"`{name}` must have shape (n, t) or (n, t, c), received shape {array.shape}.")
        items = list(array)
    if not items:
        raise ValueError(f"`{name}` is empty: expected at least one series.")
    out = []
    for i, item in enumerate(items):
        try:
            item = np.asarray(item, dtype="float64")
        except (TypeError, ValueError):
            raise TypeError(f"`{name}[{i}]` must hold numbers.") from None
        if item.ndim == 1:
            item = item[:, None]
        if item.ndim != 2 or len(item) == 0:
            raise ValueError(f"`{name}[{i}]` must have shape (t,) or (t, c) with t >= 1, received shape {item.shape}.")
        if np.isinf(item).any():
            raise ValueError(f"`{name}[{i}]` holds an infinite value: expected finite numbers (or NaN padding).")
        out.append(item)
    return out


# -- training curves ---------------------------------------------------------------------
def _history_dict(history):
    """`(epochs, {name: values})` from a Keras `History`, its `.history` dict or a list of
    per-epoch log dicts."""
    epochs = None
    if hasattr(history, "history") and isinstance(history.history, dict):
        epochs = getattr(history, "epoch", None)
        history = history.history
    if isinstance(history, dict):
        logs = {str(k): v for k, v in history.items()}
    elif isinstance(history, (list, tuple)) and all(isinstance(row, dict) for row in history):
        keys = list(dict.fromkeys(k for row in history for k in row))
        logs = {str(k): [row.get(k, math.nan) for row in history] for k in keys}
    else:
        raise TypeError(
            f"`history` must be a keras History, its `.history` dict or a list of per-epoch dicts, "
            f"received {type(history).__name__}."
        )
    if not logs:
        raise ValueError("`history` holds no metrics: expected at least one, e.g. {'loss': [...]}.")
    curves, length = {}, None
    for key, values in logs.items():
        values = _vector(values, f"history[{key!r}]", allow_nan=True)
        if length is not None and len(values) != length:
            raise ValueError(
                f"`history[{key!r}]` has {len(values)} epochs but other metrics have {length}: "
                "expected one value per epoch for every metric."
            )
        length = len(values)
        curves[key] = values
    if epochs is None or len(epochs) != length:
        epochs = range(length)
    return np.asarray(epochs, "int64") + 1, curves


def training_curves(history, metrics=None, path=None, title=None):
    """One panel per metric, training and validation (`val_*`) curves together.

    Args:
        history: a Keras `History` (what `fit` returns, or `model.history`), its
            `.history` dict `{name: [one value per epoch]}`, or a list of per-epoch
            log dicts.
        metrics: list of str or None. Metric names to draw (without `val_`); default:
            every metric, the loss first, the others in the order logged.
        path: PNG file to write, or None.
        title: str or None.

    Returns:
        matplotlib `Figure`.

    >>> from rs3l_keras import plot
    >>> fig = plot.training_curves([{"loss": 2.0, "accuracy": 0.5}, {"loss": 1.2, "accuracy": 0.7}])
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    epochs, curves = _history_dict(history)
    names = list(dict.fromkeys(k[4:] if k.startswith("val_") and k[4:] in curves else k for k in curves))
    names.sort(key=lambda name: name != "loss")  # the loss first (Keras logs metrics alphabetically)
    if metrics is not None:
        if isinstance(metrics, str):
            metrics = [metrics]
        metrics = list(metrics)
        unknown = [m for m in metrics if m not in names]
        if unknown or not metrics:
            raise ValueError(f"`metrics` {metrics!r} names no logged metric ({unknown}): expected some of {names}.")
        names = metrics
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    figure, axes = _figure(rows, cols)
    marker = "o" if len(epochs) <= 30 else None
    for ax, name in zip(axes.flat, names):
        ax.plot(epochs, curves[name], marker=marker, label="train" if "val_" + name in curves else name)
        if "val_" + name in curves:
            ax.plot(epochs, curves["val_" + name], marker=marker, linestyle="--", label="validation")
            ax.legend(fontsize=8)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if len(epochs) <= 12:
            ax.set_xticks(epochs)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    return _finish(figure, path, title)


# -- forecasts ----------------------------------------------------------------------------
def forecast(
    history,
    prediction,
    truth=None,
    lower=None,
    upper=None,
    path=None,
    title=None,
    interval_label="90% interval",
    start=0,
    ylabel=None,
):
    """The history, then the forecast on a continuing time axis, with a shaded prediction
    interval and the truth over the forecast span.

    Args:
        history: `(t,)` or `(t, 1)` observed values before the forecast.
        prediction: `(h,)` or `(h, 1)` point forecast (e.g. `Forecaster.forecast(...)["mean"]`).
        truth: `(h,)` or None. The values that happened.
        lower, upper: `(h,)` or None (both or neither). The prediction interval.
        path: PNG file to write, or None.
        title: str or None.
        interval_label: legend text of the shaded band.
        start: number, default 0. Time-axis position of the first `history` value.
        ylabel: str or None.

    Returns:
        matplotlib `Figure`.

    >>> from rs3l_keras import metrics, plot
    >>> from rs3l_keras.data.series import load_airline
    >>> y = load_airline()[:, 0]
    >>> naive = metrics.seasonal_naive(y[:-12], 12, season=12)
    >>> fig = plot.forecast(y[-48:-12], naive, truth=y[-12:], start=len(y) - 48)
    >>> len(fig.axes)
    1
    """
    history = _vector(history, "history", allow_nan=True)
    prediction = _vector(prediction, "prediction")
    if truth is not None:
        truth = _vector(truth, "truth", allow_nan=True)
        _same_length(truth, "truth", prediction, "prediction")
    if (lower is None) != (upper is None):
        raise ValueError(
            f"`lower` and `upper` must be given together, received lower={type(lower).__name__} "
            f"and upper={type(upper).__name__}."
        )
    if lower is not None:
        lower, upper = _vector(lower, "lower"), _vector(upper, "upper")
        _same_length(lower, "lower", prediction, "prediction")
        _same_length(upper, "upper", prediction, "prediction")
        if (lower > upper).any():
            i = int(np.flatnonzero(lower > upper)[0])
            raise ValueError(f"`lower[{i}]` = {lower[i]} is above `upper[{i}]` = {upper[i]}: expected lower <= upper.")
    if not isinstance(start, numbers.Real) or isinstance(start, bool):
        raise TypeError(f"`start` must be a number, received {start!r}.")
    figure, axes = _figure(width=9, height=3.6)
    ax = axes[0, 0]
    past = start + np.arange(len(history))
    future = start + len(history) + np.arange(len(prediction))
    ax.plot(past, history, color=TRUTH, linewidth=1, label="history")
    if lower is not None:
        ax.fill_between(future, lower, upper, color=FORECAST, alpha=0.25, linewidth=0, label=interval_label)
    if truth is not None:
        ax.plot(future, truth, color=TRUTH, linewidth=1, alpha=0.6, linestyle=":", label="truth")
    ax.plot(future, prediction, color=FORECAST, linewidth=1.2, label="forecast")
    ax.axvline(future[0] - 0.5, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel("time step")
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _finish(figure, path, title)


# -- reconstructions and anomaly scores --------------------------------------------------
def reconstructions(series, reconstructed, n=4, path=None, title=None, names=None):
    """The first `n` series (solid) and their reconstructions (dashed), one panel each,
    every channel in its own colour.

    Args:
        series, reconstructed: `(n, t)` or `(n, t, c)` arrays, or lists of `(t,)` /
            `(t, c)` arrays, with matching shapes.
        n: int. Panels drawn (at most the number of series).
        path, title: as everywhere.
        names: list of str or None. Panel titles (default "series 0", "series 1", ...).

    Returns:
        matplotlib `Figure`.

    >>> import numpy as np
    >>> from rs3l_keras import plot
    >>> x = np.sin(np.linspace(0, 6, 50))[None, :].repeat(3, 0)
    >>> len(plot.reconstructions(x, x + 0.1, n=2).axes)
    2
    """
    series = _series_batch(series, "series")
    reconstructed = _series_batch(reconstructed, "reconstructed")
    _same_length(reconstructed, "reconstructed", series, "series")
    for i, (a, b) in enumerate(zip(series, reconstructed)):
        if a.shape != b.shape:
            raise ValueError(
                f"`reconstructed[{i}]` has shape {b.shape} but `series[{i}]` has shape {a.shape}: "
                "expected the same shape."
            )
    n = min(check_positive_int(n, "n"), len(series))
    if names is None:
        names = [f"series {i}" for i in range(n)]
    elif isinstance(names, str) or len(names) < n:
        raise ValueError(f"`names` must be a list of at least {n} panel titles, received {names!r}.")
    cols = min(2, n)
    rows = -(-n // cols)
    figure, axes = _figure(rows, cols, width=5.0 * cols + 0.5, height=2.4 * rows + 0.3)
    colors = [f"C{k % 10}" for k in range(series[0].shape[1])]
    for i, ax in enumerate(axes.flat[:n]):
        for c, color in enumerate(colors[: series[i].shape[1]]):
            ax.plot(series[i][:, c], color=color, linewidth=1, label="series" if c == 0 else None)
            ax.plot(
                reconstructed[i][:, c],
                color=color,
                linewidth=1,
                linestyle="--",
                label="reconstruction" if c == 0 else None,
            )
        ax.set_title(str(names[i]), fontsize=9)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return _finish(figure, path, title)


def _ranges(anomalies, length):
    """`[(start, end), ...]` half-open index ranges from ranges or a boolean mask."""
    if anomalies is None:
        return []
    array = np.asarray(anomalies) if not isinstance(anomalies, (list, tuple)) else None
    if array is None and anomalies and all(isinstance(r, (list, tuple, np.ndarray)) for r in anomalies):
        ranges = []
        for i, pair in enumerate(anomalies):
            if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair):
                raise ValueError(f"`anomalies[{i}]` must be a (start, end) pair of ints, received {pair!r}.")
            start, end = int(pair[0]), int(pair[1])
            if not 0 <= start < end <= length:
                raise ValueError(
                    f"`anomalies[{i}]` = ({start}, {end}) is outside the series: expected 0 <= start < end <= {length}."
                )
            ranges.append((start, end))
        return ranges
    array = np.asarray(anomalies)
    if (
        array.ndim != 1
        or array.dtype.kind not in "biu"
        or (array.dtype.kind != "b" and not np.isin(array, (0, 1)).all())
    ):
        raise ValueError(
            f"`anomalies` must be a list of (start, end) index pairs or a boolean (or 0/1) mask of "
            f"length {length}, received {type(anomalies).__name__} with shape {array.shape}."
        )
    if len(array) != length:
        raise ValueError(
            f"`anomalies` mask has length {len(array)} but `series` has length {length}: expected the same length."
        )
    edges = np.diff(np.concatenate([[0], array.astype("int8"), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def anomaly_scores(series, scores, threshold=None, anomalies=None, path=None, title=None, start=0):
    """The series (top) and its per-step anomaly scores (bottom) on a shared time axis,
    with the threshold and the labelled anomalies shaded (and drawn red on the series).

    Args:
        series: `(t,)` or `(t, 1)` values.
        scores: `(t,)` scores, one per step (NaN where a step is not scored).
        threshold: float or None. Drawn as a horizontal line; steps above it are marked.
        anomalies: None, a list of half-open `(start, end)` index ranges into `series`, or
            a boolean (or 0/1) mask of length t.
        path, title: as everywhere.
        start: number, default 0. Time-axis position of the first step (when `series` is
            a slice of a longer one); `anomalies` still index into `series`.

    Returns:
        matplotlib `Figure`.

    >>> import numpy as np
    >>> from rs3l_keras import plot
    >>> x = np.sin(np.linspace(0, 20, 200)); x[120:125] += 2
    >>> s = np.abs(x - np.sin(np.linspace(0, 20, 200)))
    >>> len(plot.anomaly_scores(x, s, threshold=1.0, anomalies=[(120, 125)]).axes)
    2
    """
    series = _vector(series, "series", allow_nan=True)
    scores = _vector(scores, "scores", allow_nan=True)
    if len(scores) != len(series):
        raise ValueError(
            f"`scores` has length {len(scores)} but `series` has length {len(series)}: expected one score per step."
        )
    if threshold is not None:
        check_number(threshold, "threshold", expected="a finite float or None")
    if not isinstance(start, numbers.Real) or isinstance(start, bool):
        raise TypeError(f"`start` must be a number, received {start!r}.")
    ranges = _ranges(anomalies, len(series))
    figure, axes = _figure(2, 1, width=10, height=5, sharex=True)
    top, bottom = axes[0, 0], axes[1, 0]
    steps = start + np.arange(len(series))
    top.plot(steps, series, color=TRUTH, linewidth=0.8)
    bottom.plot(steps, scores, color=FORECAST, linewidth=0.8, label="anomaly score")
    for k, (a, b) in enumerate(ranges):
        for ax in (top, bottom):
            ax.axvspan(
                start + a - 0.5,
                start + b - 0.5,
                color=ANOMALY,
                alpha=0.2,
                linewidth=0,
                label="labelled anomaly" if k == 0 and ax is bottom else None,
            )
        top.plot(steps[a:b], series[a:b], color=ANOMALY, linewidth=1.6)
    if threshold is not None:
        bottom.axhline(float(threshold), color=ANOMALY, linestyle="--", linewidth=1, label=f"threshold {threshold:.3g}")
        above = np.flatnonzero(np.nan_to_num(scores, nan=-np.inf) > threshold)
        if len(above):
            bottom.scatter(steps[above], scores[above], s=6, color=ANOMALY, zorder=3, label="above threshold")
    top.set_ylabel("series")
    bottom.set_ylabel("score")
    bottom.set_xlabel("time step")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    bottom.legend(fontsize=8, loc="upper left")
    return _finish(figure, path, title)


# -- embeddings ---------------------------------------------------------------------------
def embeddings_pca(embeddings, labels=None, path=None, title=None, seed=0):
    """A 2-D PCA (scikit-learn) scatter of `(n, d)` embeddings, coloured by label. With
    `d == 1` the single component is drawn as a strip.

    Args:
        embeddings: `(n, d)` finite numbers, n >= 2.
        labels: None or `(n,)` labels (ints or strings): up to 20 distinct values get a
            legend, more numeric values a colour bar.
        path, title: as everywhere.
        seed: int, PCA's random state.

    Returns:
        matplotlib `Figure`.

    >>> import numpy as np
    >>> from rs3l_keras import plot
    >>> rng = np.random.default_rng(0)
    >>> z = np.concatenate([rng.normal(0, 1, (20, 8)), rng.normal(3, 1, (20, 8))])
    >>> fig = plot.embeddings_pca(z, labels=[0] * 20 + [1] * 20)
    >>> fig.axes[0].get_xlabel().startswith("PC1")
    True
    """
    from sklearn.decomposition import PCA

    try:
        z = np.asarray(embeddings, dtype="float64")
    except (TypeError, ValueError):
        raise TypeError(
            f"`embeddings` must be a (n, d) array of numbers, received {type(embeddings).__name__}."
        ) from None
    if z.ndim != 2 or z.shape[0] < 2 or z.shape[1] < 1:
        raise ValueError(f"`embeddings` must have shape (n, d) with n >= 2 and d >= 1, received shape {z.shape}.")
    if not np.isfinite(z).all():
        i, j = np.argwhere(~np.isfinite(z))[0]
        raise ValueError(f"`embeddings[{i}, {j}]` is {z[i, j]}: expected finite numbers.")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(z):
            raise ValueError(f"`labels` must hold one label per embedding ({len(z)}), received shape {labels.shape}.")
    pca = PCA(n_components=min(2, z.shape[1]), random_state=seed)
    with np.errstate(invalid="ignore", divide="ignore"):  # constant embeddings: no variance to share
        points = pca.fit_transform(z)
    explained = pca.explained_variance_ratio_
    if points.shape[1] == 1:
        points = np.concatenate([points, np.zeros_like(points)], axis=1)
    figure, axes = _figure(width=6, height=4.6 if explained.size == 2 else 2.6)
    ax = axes[0, 0]
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=12, alpha=0.7)
    else:
        classes = np.unique(labels)
        if len(classes) <= 20:
            cmap = "tab10" if len(classes) <= 10 else "tab20"
            from matplotlib import colormaps

            colors = colormaps[cmap].colors
            for k, label in enumerate(classes):
                chosen = labels == label
                ax.scatter(points[chosen, 0], points[chosen, 1], s=12, alpha=0.7, color=colors[k], label=str(label))
            ax.legend(title="label", fontsize=8, markerscale=1.5)
        else:
            values = labels.astype("float64") if labels.dtype.kind in "biuf" else np.searchsorted(classes, labels)
            scatter = ax.scatter(points[:, 0], points[:, 1], s=12, alpha=0.7, c=values, cmap="viridis")
            figure.colorbar(scatter, ax=ax, label="label")
    share = [f" ({v:.0%} of variance)" if np.isfinite(v) else "" for v in explained]
    ax.set_xlabel("PC1" + share[0])
    if explained.size == 2:
        ax.set_ylabel("PC2" + share[1])
    else:
        ax.set_yticks([])
    ax.grid(alpha=0.3)
    return _finish(figure, path, title)


# -- generated samples --------------------------------------------------------------------
def samples_vs_real(real, generated, n=4, channel=0, path=None, title=None):
    """`n` real and `n` generated series side by side (one channel, same y range) and the
    distribution of all their values in that channel.

    Args:
        real, generated: `(n, t, c)` or `(n, t)` arrays, or lists of `(t,)` / `(t, c)`
            arrays, with the same number of channels.
        n: int. Series drawn from each (at most as many as given).
        channel: int. Channel drawn.
        path, title: as everywhere.

    Returns:
        matplotlib `Figure`.

    >>> from rs3l_keras import plot
    >>> from rs3l_keras.data.series import make_sines
    >>> len(plot.samples_vs_real(make_sines(8, seed=0), make_sines(8, seed=1), n=3).axes)
    3
    """
    real = _series_batch(real, "real")
    generated = _series_batch(generated, "generated")
    channels = {s.shape[1] for s in real} | {s.shape[1] for s in generated}
    if len(channels) != 1:
        raise ValueError(f"`real` and `generated` must have one channel count, received {sorted(channels)}.")
    (channels,) = channels
    check_int(channel, "channel", 0, maximum=channels - 1, expected=f"an int in [0, {channels})")
    n = check_positive_int(n, "n")
    figure, axes = _figure(1, 3, width=12, height=3.4)
    values = [np.concatenate([s[:, channel] for s in group]) for group in (real, generated)]
    finite = np.concatenate(values)
    finite = finite[np.isfinite(finite)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    pad = 0.05 * (high - low or 1.0)
    for ax, group, name, color in ((axes[0, 0], real, "real", TRUTH), (axes[0, 1], generated, "generated", FORECAST)):
        for s in group[:n]:
            ax.plot(s[:, channel], color=color, alpha=0.7, linewidth=1)
        ax.set_title(f"{name} (channel {channel}, {min(n, len(group))} of {len(group)})", fontsize=9)
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlabel("time step")
        ax.grid(alpha=0.3)
    bins = np.linspace(low - pad, high + pad, 31)
    hist = axes[0, 2]
    for v, name, color in ((values[0], "real", TRUTH), (values[1], "generated", FORECAST)):
        hist.hist(v[np.isfinite(v)], bins=bins, density=True, histtype="step", color=color, linewidth=1.4, label=name)
    hist.set_title("value distribution (all series)", fontsize=9)
    hist.legend(fontsize=8)
    return _finish(figure, path, title)


# -- label efficiency ---------------------------------------------------------------------
def _label_efficiency_table(results):
    if isinstance(results, (str, os.PathLike)):
        import json

        results = json.loads(pathlib.Path(results).read_text())
    if not isinstance(results, dict) or not isinstance(results.get("runs"), list) or not results["runs"]:
        raise ValueError(
            "`results` must be a dict with a non-empty 'runs' list (the format of "
            "benchmarks/label_efficiency.json), received "
            f"{type(results).__name__}{' with keys ' + str(sorted(results)) if isinstance(results, dict) else ''}."
        )
    table = {}
    for i, run in enumerate(results["runs"]):
        if not isinstance(run, dict) or not {"arm", "labels", "accuracy"} <= set(run):
            raise ValueError(
                f"`results['runs'][{i}]` must be a dict with 'arm', 'labels' and 'accuracy', received {run!r}."
            )
        table.setdefault(str(run["arm"]), {}).setdefault(int(run["labels"]), []).append(float(run["accuracy"]))
    return results, table


def label_efficiency(results, path=None, title=None, xlabel="labelled training examples", ylabel="test accuracy"):
    """Accuracy against the number of labels, one line per arm (mean ± std over seeds, log
    x axis), with the majority-class rate as a dashed line when given.

    Args:
        results: dict in the format of `benchmarks/label_efficiency.json` — `runs`: a
            list of `{"arm", "labels", "accuracy", ...}`, optional `majority_rate` — or
            the path of such a JSON file.
        path, title: as everywhere.
        xlabel, ylabel: axis labels.

    Returns:
        matplotlib `Figure`.

    >>> from rs3l_keras import plot
    >>> runs = [{"arm": a, "labels": n, "seed": s, "accuracy": acc}
    ...         for a, acc in (("pretrained", 0.8), ("scratch", 0.6)) for n in (10, 100) for s in (0, 1)]
    >>> fig = plot.label_efficiency({"runs": runs, "majority_rate": 0.5})
    >>> sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    ['majority class', 'pretrained', 'scratch']
    """
    results, table = _label_efficiency_table(results)
    figure, axes = _figure(width=6, height=4)
    ax = axes[0, 0]
    for arm in sorted(table):
        ns = sorted(table[arm])
        ax.errorbar(
            ns,
            [np.mean(table[arm][n]) for n in ns],
            yerr=[np.std(table[arm][n]) for n in ns],
            marker="o",
            capsize=3,
            label=arm,
        )
    if results.get("majority_rate") is not None:
        ax.axhline(float(results["majority_rate"]), color="grey", linestyle="--", label="majority class")
    from matplotlib.ticker import NullLocator

    ax.set_xscale("log")
    ax.set_xticks(sorted({n for arm in table.values() for n in arm}))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{n:,}" for n in ax.get_xticks().astype(int)])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title is None:
        title = "Label efficiency (mean ± std over seeds)"
    return _finish(figure, path, title)
