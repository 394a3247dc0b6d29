"""Frozen-encoder evaluation: `embed`, `linear_probe` and `cluster`.

These read the backbone of any model (an objective, a fine-tuned model, or a preset name)
and never change its weights.
"""

import weakref

import numpy as np

from rs3l_keras.validation import check_one_of, check_positive_int

POOLINGS = ("last", "mean", "max", "last+mean", "last+mean+max", "last+mean+max+embedding")
#: Poolings that also read the input layer (text models only: the mean of the token embeddings).
INPUT_LAYER_POOLINGS = ("last+mean+max+embedding",)

#: The default protocol is the best one measured (benchmarks/RESULTS.md, "Time-series
#: representations"): concat pooling (ULMFiT's; TS2Vec/T-Loss max-pool) leaves no pooling choice
#: to make on few labels and fixed the worst case of `"last"` (ArrowHead 0.474 → 0.691 with
#: the gru-cpc-ucr weights; `gru-ts-general` records it on 17 UCR sets), and C chosen by 5
#: repeated shuffled 5-fold splits on small training sets stopped the CV ties that sent C to 0.001.
DEFAULT_POOLING = "last+mean+max"
#: `cv_repeats="auto"`: repeated 5-fold CV below this many training examples, one 5-fold above
#: (thousands of examples give a stable CV estimate, and 25 fits per C would cost minutes).
REPEATED_CV_BELOW = 500
#: C is chosen on a stratified subsample of at most this many training examples (then the
#: probe is fitted on all of them): 35 fits on 9,000 × 384 features would take minutes.
CV_MAX_EXAMPLES = 2000
#: The probe's inverse regularisation strengths, in ascending order.
C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)
#: lbfgs iterations per fit while C is searched (the final fit allows 5,000): on separable
#: embeddings the fits at C ≥ 100 otherwise run thousands of iterations each, and a probe of
#: 300 series took minutes.
CV_MAX_ITER = 500


def _choose_C(z, y, splitter, seed):
    """`(C, mean CV accuracy)`: scikit-learn's grid search over `C_GRID` (ties go to the smaller
    C), with each fold's fits warm-started along the ascending grid (lbfgs starts from the
    previous C's solution) and capped at `CV_MAX_ITER` iterations."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scores, folds = np.zeros(len(C_GRID)), 0
    for fit_rows, val_rows in splitter.split(z, y):
        scaler = StandardScaler().fit(z[fit_rows])
        a, b = scaler.transform(z[fit_rows]), scaler.transform(z[val_rows])
        clf = LogisticRegression(max_iter=CV_MAX_ITER, warm_start=True, random_state=seed)
        for i, C in enumerate(C_GRID):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.set_params(C=C).fit(a, y[fit_rows])
            scores[i] += (clf.predict(b) == y[val_rows]).mean()
        folds += 1
    scores /= folds
    best = int(np.flatnonzero(scores == scores.max())[0])
    return C_GRID[best], float(scores[best])


def _cv_subsample(y, limit, seed):
    """Row indices of a stratified subsample of at most `limit` labels (all rows if fewer)."""
    if len(y) <= limit:
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    rows, _ = train_test_split(np.arange(len(y)), train_size=limit, stratify=y, random_state=seed)
    return np.sort(rows)


def _resolve(model):
    if isinstance(model, (list, tuple)):  # an ensemble: embeddings side by side
        if not model:
            raise ValueError("`model` is an empty list: expected one or more models or preset names.")
        return [_resolve(m) for m in model]
    if isinstance(model, str):
        from rs3l_keras.zoo import load_pretrained

        return load_pretrained(model)
    if getattr(model, "backbone", None) is None:
        raise TypeError(
            f"`model` must be an rs3l_keras model with a backbone or a preset name, received {type(model).__name__}."
        )
    return model


def bucket_length(n):
    """The shape bucket of a length: the next of 8, 12, 16, 24, 32, 48, … (2^k and 1.5·2^k),
    so inputs of any length compile to a few shapes (at most half the steps are padding)."""
    bucket = 8
    while bucket < n:
        bucket = bucket * 3 // 2 if bucket & (bucket - 1) == 0 else bucket * 4 // 3
    return bucket


def bucket_rows(n, batch_size):
    """Rows a batch of `n` is padded to: the next power of two, at most `batch_size`."""
    return min(1 << max(int(n) - 1, 0).bit_length(), batch_size) if n < batch_size else n


def _predict_padded(model, batch, rows, fill):
    """`model.predict_on_batch` on `batch` padded with `fill` to `rows` rows; outputs cut back."""
    n = len(batch)
    if rows > n:
        batch = np.concatenate([batch, np.full((rows - n, *batch.shape[1:]), fill, batch.dtype)])
    out = model.predict_on_batch(batch)
    return {key: np.asarray(value)[:n] for key, value in out.items()}


def _pool(sequence, last, valid, pooling):
    """numpy pooling of `(n, t, d)` states with a `(n, t)` validity mask."""
    if pooling == "last":
        return last
    weights = valid[..., None].astype(sequence.dtype)
    mean = (sequence * weights).sum(1) / np.maximum(weights.sum(1), 1)
    if pooling == "mean":
        return mean
    if pooling == "last+mean":
        return np.concatenate([last, mean], axis=-1)
    peak = np.where(valid[..., None], sequence, -np.inf).max(1)
    if pooling == "last+mean+max":
        return np.concatenate([last, mean, peak], axis=-1)
    return peak


def embed(model, x, pooling=DEFAULT_POOLING, batch_size=256, verbose="auto"):
    """One vector per sequence from a model's (frozen) backbone.

    Args:
        model: an rs3l_keras model (objective or fine-tuned) or a preset name; or a list of
            them, whose embeddings are concatenated in that order (e.g. a CPC and a contrastive
            encoder of the same series: each objective keeps different information).
        x: time series — numpy `(n, time, channels)` or a list of unequal-length
            `(time_i, channels)` arrays (raw values: the model's normaliser is applied;
            a series' vector never depends on its batch: causal encoders read series
            right-padded to shape buckets, bidirectional ones equal-length groups; a univariate
            encoder embeds each channel of multivariate series separately and concatenates
            the vectors) — or, for text
            models, a list of str (right-padded; `pooled_output` and the pooling read the
            real tokens only).
        pooling: `"last"` (the backbone's `pooled_output`), `"mean"` or `"max"` over the
            real (non-padding) steps, `"last+mean"` (both, concatenated) or `"last+mean+max"`
            (all three, concatenated, the default: no choice of pooling left to make on few
            labels; see `DEFAULT_POOLING`); for text models also `"last+mean+max+embedding"`:
            those three and the mean of the input token embeddings over the real tokens (the
            input layer, as ELMo mixes all layers).
        batch_size: int.
        verbose: progress bar over the batches: `"auto"` (on a terminal only), 1 or 0.

    Returns:
        numpy float32 `(n, d)`.
    """
    import keras

    from rs3l_keras import progress
    from rs3l_keras.data import series as series_data

    model = _resolve(model)
    check_one_of(pooling, "pooling", list(POOLINGS))
    check_positive_int(batch_size, "batch_size")
    if isinstance(model, list):
        return np.concatenate([embed(m, x, pooling, batch_size, verbose) for m in model], axis=1)
    backbone = model.backbone
    chunks = []
    input_layer = pooling in INPUT_LAYER_POOLINGS
    if input_layer and backbone.vocabulary_size is None:
        raise ValueError(f"`pooling`={pooling!r} reads token embeddings: text models only; this model embeds series.")
    if backbone.vocabulary_size is not None:
        if isinstance(x, str) or not isinstance(x, (list, tuple)) or not x or not all(isinstance(t, str) for t in x):
            raise ValueError("`x` must be a non-empty list of str for a text model.")
        table = np.asarray(keras.ops.convert_to_numpy(backbone.token_embedding.embeddings)) if input_layer else None
        # Sort by length so each batch is padded little (results are put back in order).
        order = np.argsort([len(t) for t in x], kind="stable")
        for start in progress.track(range(0, len(x), batch_size), "Embedding", verbose=verbose):
            ids = model.encode_batch([x[i] for i in order[start : start + batch_size]])
            if not backbone.bidirectional:  # more right padding changes nothing a causal stack reads
                ids = np.pad(ids, ((0, 0), (0, bucket_length(ids.shape[1]) - ids.shape[1])))
            out = _predict_padded(backbone, ids, bucket_rows(len(ids), batch_size), 0)
            seq = out["sequence_output"]
            pooled = _pool(seq, out["pooled_output"], ids != 0, "last+mean+max" if input_layer else pooling)
            if input_layer:
                real = (ids != 0)[..., None]
                tokens = (table[ids] * real).sum(1) / np.maximum(real.sum(1), 1)
                pooled = np.concatenate([pooled, tokens.astype(pooled.dtype)], axis=-1)
            chunks.append(pooled)
        vectors = np.concatenate(chunks)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result
    if not hasattr(model, "encoder_model"):
        raise TypeError(
            f"{type(model).__name__} has no series encoder (`encoder_model`): expected a time-series model."
        )
    series = series_data.as_series_list(x, name="x", channels=None if model.input_dim == 1 else model.input_dim)
    if series[0].shape[1] > 1 and model.input_dim == 1:
        # A univariate encoder embeds each channel on its own (channel independence, as
        # PatchTST and Chronos do); the channels' vectors are concatenated.
        per_channel = [[s[:, [c]] for s in series] for c in range(series[0].shape[1])]
        return np.concatenate([embed(model, part, pooling, batch_size, verbose) for part in per_channel], axis=1)
    encoder = _encoder(model)
    result = None
    lengths = np.array([len(s) for s in series])
    # A series' vector never depends on its batch. A unidirectional (causal) encoder reads
    # series right-padded with NaN to a shape bucket (`bucket_length`) exactly as alone: its
    # state at the last real step is the vector, the padding comes after it (and NaN is
    # ignored by the normaliser's statistics), so inputs of any length compile to a few
    # shapes instead of one per length (JAX compiles each new shape; TensorFlow traces).
    # A bidirectional encoder reads equal-length groups, unpadded.
    causal = not backbone.bidirectional
    groups = {}
    for i, n in enumerate(lengths):
        groups.setdefault(bucket_length(n) if causal else n, []).append(i)
    batches = [
        (length, idx[start : start + batch_size])
        for length, idx in groups.items()
        for start in range(0, len(idx), batch_size)
    ]
    for length, rows in progress.track(batches, "Embedding", verbose=verbose):
        batch = np.full((len(rows), length, series[0].shape[1]), np.nan, "float32")  # right-padded
        for j, i in enumerate(rows):
            batch[j, : lengths[i]] = series[i]
        out = _predict_padded(encoder, batch, bucket_rows(len(rows), batch_size) if causal else len(rows), np.nan)
        seq = out["sequence_output"]
        valid = np.arange(length)[None, :] < lengths[rows][:, None]
        last = seq[np.arange(len(rows)), lengths[rows] - 1] if causal else out["pooled_output"]
        vectors = _pool(seq, last, valid, pooling)
        if result is None:
            result = np.empty((len(series), vectors.shape[1]), vectors.dtype)
        result[rows] = vectors
    return result


_ENCODERS = weakref.WeakKeyDictionary()


def _encoder(model):
    """`model.encoder_model()`, built once per model: its compiled predict function (traced
    with `reduce_retracing`) is then reused across calls instead of retraced on every call."""
    if model not in _ENCODERS:
        _ENCODERS[model] = model.encoder_model()
    return _ENCODERS[model]


def cv_folds(n_splits=5, repeats=1, seed=0):
    """Stratified k-fold splitter for choosing a probe's C: shuffled, and with `repeats` > 1
    that many differently shuffled k-fold splits (one split of a few dozen series is noisy)."""
    from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

    if repeats == 1:
        return StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    return RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=repeats, random_state=seed)


def _check_split(data, name):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"`{name}` must be a pair (x, y), received {type(data).__name__}.")
    x, y = data
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(
            f"`{name}` labels must be a 1-D array with one label per input: received "
            f"{len(x)} inputs and labels of shape {y.shape}."
        )
    return x, y


def linear_probe(
    model, train, test=None, pooling=DEFAULT_POOLING, C=None, seed=0, cv_repeats="auto", batch_size=256, verbose="auto"
):
    """Accuracy of a linear classifier on frozen embeddings (the T-Loss / TS2Vec protocol).

    Embeddings are standardised on the train split, then a multinomial logistic regression
    (scikit-learn) is fitted on the train labels; with `C=None` the inverse regularisation
    strength is chosen by 5-fold cross-validation on the train split only, from
    {1e-3, …, 1e3} (or left at 1.0 when a class has fewer than 5 examples). With a few dozen
    training sequences one 5-fold split is noisy (C values tie, and ties go to the smallest
    C), so by default (`cv_repeats="auto"`) C is chosen over 5 differently shuffled 5-fold
    splits when the train split has fewer than `REPEATED_CV_BELOW` examples, one split above;
    above `CV_MAX_EXAMPLES` the search runs on a stratified subsample of that size.

    Args:
        model: an rs3l_keras model or preset name, or a list of them (see `embed`).
        train, test: `(x, y)` pairs; x as for `embed`, y integer or string labels. `test`
            may be None: only the train-split cross-validation is reported (model selection
            without a test split).
        pooling, verbose: see `embed` (default: concat pooling, `"last+mean+max"`).
        C: float, or None to choose it by cross-validation on the train split.
        cv_repeats: int ≥ 1, the number of shuffled 5-fold splits averaged to choose C, or
            `"auto"` (5 below `REPEATED_CV_BELOW` training examples, else 1).

    Returns:
        dict with `accuracy` (test; None without a test split), `cv_accuracy` (the chosen C's
        mean cross-validated accuracy on the train split; None when C was not chosen by CV),
        `train_accuracy`, `C`, `pooling`, `cv_repeats`, `num_train`, `num_test`, `dim`.
    """
    model = _resolve(model)
    x_train, y_train = _check_split(train, "train")
    z_train = embed(model, x_train, pooling=pooling, batch_size=batch_size, verbose=verbose)
    z_test = y_test = None
    if test is not None:
        x_test, y_test = _check_split(test, "test")
        z_test = embed(model, x_test, pooling=pooling, batch_size=batch_size, verbose=verbose)
    return {
        **probe_features(z_train, y_train, z_test, y_test, C=C, seed=seed, cv_repeats=cv_repeats),
        "pooling": pooling,
    }


def probe_features(z_train, y_train, z_test=None, y_test=None, C=None, seed=0, cv_repeats="auto"):
    """The classifier of `linear_probe` on given features `(n, d)` (e.g. raw series as a
    baseline): standardise, logistic regression, C by (repeated) 5-fold CV on the train
    split. Returns `linear_probe`'s dict without `pooling`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y_train = np.asarray(y_train)
    if cv_repeats == "auto":
        cv_repeats = 5 if len(y_train) < REPEATED_CV_BELOW else 1
    check_positive_int(cv_repeats, "cv_repeats")
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, C=C or 1.0, random_state=seed))
    min_class = np.unique(y_train, return_counts=True)[1].min()
    searched = C is None and min_class >= 5
    cv_score = None
    if searched:
        rows = _cv_subsample(y_train, CV_MAX_EXAMPLES, seed)
        C, cv_score = _choose_C(z_train[rows], y_train[rows], cv_folds(5, cv_repeats, seed), seed)
        pipe.set_params(logisticregression__C=C)
    pipe.fit(z_train, y_train)
    accuracy, num_test = None, 0
    if z_test is not None:
        accuracy, num_test = float((pipe.predict(z_test) == np.asarray(y_test)).mean()), int(len(y_test))
    return {
        "accuracy": accuracy,
        "cv_accuracy": cv_score,
        "train_accuracy": float((pipe.predict(z_train) == y_train).mean()),
        "C": float(C or 1.0),
        "cv_repeats": int(cv_repeats),
        "num_train": int(len(y_train)),
        "num_test": num_test,
        "dim": int(z_train.shape[1]),
    }


def cluster(model, x, k, pooling=DEFAULT_POOLING, seed=0, n_components=2, batch_size=256, verbose="auto"):
    """k-means on standardised embeddings, plus a PCA projection for plotting (`pooling`,
    `verbose`: see `embed`).

    Returns:
        `(labels, components)`: `labels` (n,) int cluster ids, `components` (n,
        n_components) PCA coordinates of the same standardised embeddings.
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    check_positive_int(k, "k")
    check_positive_int(n_components, "n_components")
    z = StandardScaler().fit_transform(embed(model, x, pooling=pooling, batch_size=batch_size, verbose=verbose))
    if k > len(z):
        raise ValueError(f"`k` is {k} but `x` holds only {len(z)} sequences: expected k ≤ {len(z)}.")
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(z)
    components = PCA(n_components=min(n_components, z.shape[1], len(z)), random_state=seed).fit_transform(z)
    return labels.astype("int32"), components.astype("float32")
