"""TimeGAN's two post-hoc scores for synthetic time series (Yoon et al., 2019, §5).

Both train a small GRU from scratch and follow the reference implementation
(`jsyoon0823/TimeGAN`, `metrics/discriminative_metrics.py` and `predictive_metrics.py`):
the same network sizes (GRU with ⌊channels/2⌋ units), optimiser (Adam, default settings),
batch size (128) and numbers of iterations (2,000 and 5,000), with mini-batches drawn at
random. Lower is better for both.

* `discriminative_score`: real and synthetic series are each split 80/20; a GRU classifier
  (last state → logit) learns real vs synthetic on the 80% parts; the score is
  |accuracy − 0.5| on the held-out 20% parts (0 = indistinguishable, 0.5 = always told apart).
* `predictive_score` ("train on synthetic, test on real"): a GRU reads channels 1..C−1 of
  steps 1..T−1 and predicts channel C at steps 2..T (sigmoid output, MAE loss), trained on the
  synthetic series; the score is the MAE on the real series. The reference point is the same
  predictor trained on real data.

The scores assume TimeGAN's scaling to [0, 1] (its sines are already in [0, 1]); the sigmoid
output of the predictor needs it. Series must share one length (as in the paper).
"""

import keras
import numpy as np

from rs3l_keras.data import series as series_data
from rs3l_keras.validation import check_positive_int


def _stack(x, name, channels=None):
    series = series_data.as_series_list(x, name=name, channels=channels)
    lengths = {len(s) for s in series}
    if len(lengths) > 1:
        raise ValueError(
            f"`{name}` holds series of lengths {sorted(lengths)[:5]}: the TimeGAN scores need "
            "one common length (cut or resample them first)."
        )
    return np.stack(series)


def _batches(arrays, batch_size, iterations, rng):
    """TimeGAN's `batch_generator`: every iteration, `batch_size` rows drawn at random."""
    import tensorflow as tf

    n = len(arrays[0])
    index = np.stack([rng.permutation(n)[:batch_size] for _ in range(iterations)])
    tables = [tf.constant(a) for a in arrays]
    data = tf.data.Dataset.from_tensor_slices(index)
    return data.map(lambda i: tuple(tf.gather(t, i) for t in tables)).prefetch(4)


def _gru(inputs, hidden_dim, num_layers, return_sequences, name):
    x = inputs
    for i in range(num_layers):
        last = i == num_layers - 1
        x = keras.layers.GRU(hidden_dim, return_sequences=return_sequences or not last, name=f"{name}_gru_{i}")(x)
    return x


def _hidden(hidden_dim, channels):
    if hidden_dim is None:
        return max(1, channels // 2)
    check_positive_int(hidden_dim, "hidden_dim")
    return hidden_dim


def discriminative_score(real, synthetic, hidden_dim=None, num_layers=1, iterations=2000, batch_size=128, seed=0):
    """|accuracy − 0.5| of a post-hoc GRU classifier of real vs synthetic on held-out data.

    Args:
        real, synthetic: float arrays (n, time, channels) (or lists of equal-length
            series), same time length and channels; n may differ.
        hidden_dim: int or None. GRU units (default ⌊channels/2⌋, as in TimeGAN).
        num_layers: int, default 1.
        iterations: int, default 2000. Mini-batches of training.
        batch_size: int, default 128.
        seed: int. Seeds the splits, the batches and the classifier's initial weights.

    Returns:
        dict(score=|acc − 0.5|, accuracy=held-out accuracy, real_accuracy, synthetic_accuracy).

    Example:
    >>> from rs3l_keras.data.series import make_sines
    >>> result = discriminative_score(make_sines(200, seed=0), make_sines(200, seed=1), iterations=20)
    >>> 0 <= result["score"] <= 0.5
    True
    """
    real = _stack(real, "real")
    synthetic = _stack(synthetic, "synthetic", channels=real.shape[2])
    if synthetic.shape[1] != real.shape[1]:
        raise ValueError(
            f"`synthetic` has length {synthetic.shape[1]} but `real` has {real.shape[1]}: they must match."
        )
    for name, value in (("num_layers", num_layers), ("iterations", iterations), ("batch_size", batch_size)):
        check_positive_int(value, name)
    if len(real) < 5 or len(synthetic) < 5:
        raise ValueError(
            f"Need at least 5 series of each kind for an 80/20 split, received "
            f"{len(real)} real and {len(synthetic)} synthetic."
        )
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)

    def split(x):
        order = rng.permutation(len(x))
        cut = int(0.8 * len(x))
        return x[order[:cut]], x[order[cut:]]

    (real_train, real_test), (fake_train, fake_test) = split(real), split(synthetic)
    x_train = np.concatenate([real_train, fake_train])
    y_train = np.concatenate([np.ones(len(real_train)), np.zeros(len(fake_train))]).astype("float32")[:, None]

    inputs = keras.Input((real.shape[1], real.shape[2]))
    state = _gru(inputs, _hidden(hidden_dim, real.shape[2]), num_layers, False, "discriminator")
    classifier = keras.Model(inputs, keras.layers.Dense(1, name="logit")(state))
    classifier.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    classifier.fit(_batches([x_train, y_train], batch_size, iterations, rng), epochs=1, verbose=0, shuffle=False)

    real_hits = classifier.predict(real_test, batch_size=1024, verbose=0)[:, 0] > 0
    fake_hits = classifier.predict(fake_test, batch_size=1024, verbose=0)[:, 0] <= 0
    accuracy = float(np.concatenate([real_hits, fake_hits]).mean())
    return {
        "score": abs(accuracy - 0.5),
        "accuracy": accuracy,
        "real_accuracy": float(real_hits.mean()),
        "synthetic_accuracy": float(fake_hits.mean()),
    }


def predictive_score(train, test, hidden_dim=None, num_layers=1, iterations=5000, batch_size=128, seed=0):
    """MAE on `test` of a GRU one-step-ahead predictor trained on `train` (TimeGAN's
    "train on synthetic, test on real": pass synthetic series as `train`, real as `test`).

    The predictor reads channels 1..C−1 at steps 1..T−1 and predicts channel C at steps
    2..T (so C ≥ 2 is needed). Args as for `discriminative_score`, with `iterations`
    defaulting to 5000 as in the paper.

    Returns:
        dict(score=MAE on `test`).

    Example:
    >>> from rs3l_keras.data.series import make_sines
    >>> result = predictive_score(make_sines(200, seed=0), make_sines(100, seed=1), iterations=20)
    >>> result["score"] > 0
    True
    """
    train = _stack(train, "train")
    test = _stack(test, "test", channels=train.shape[2])
    if train.shape[2] < 2:
        raise ValueError(
            f"`train` has {train.shape[2]} channel: the predictive score needs at least 2 "
            "(channels 1..C-1 predict channel C)."
        )
    if min(train.shape[1], test.shape[1]) < 2:
        raise ValueError("The predictive score needs series of at least 2 time steps.")
    for name, value in (("num_layers", num_layers), ("iterations", iterations), ("batch_size", batch_size)):
        check_positive_int(value, name)
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)

    def pairs(x):
        return x[:, :-1, :-1], x[:, 1:, -1:]

    inputs = keras.Input((None, train.shape[2] - 1))
    hidden = _gru(inputs, _hidden(hidden_dim, train.shape[2]), num_layers, True, "predictor")
    predictor = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid", name="next")(hidden))
    predictor.compile(optimizer=keras.optimizers.Adam(), loss="mae")
    predictor.fit(_batches(list(pairs(train)), batch_size, iterations, rng), epochs=1, verbose=0, shuffle=False)

    x_test, y_test = pairs(test)
    prediction = predictor.predict(x_test, batch_size=1024, verbose=0)
    return {"score": float(np.mean(np.abs(prediction - y_test)))}


#: The quick check a GAN preset on sines records (seconds long, re-measured by its preset test).
QUICK_CHECK = {"real_seed": 7, "n": 1000, "sample_seed": 0, "iterations": 300, "classifier_seed": 0}


def quick_check(model):
    """A seconds-long re-measurable fingerprint of a GAN trained on `make_sines`: the
    discriminative score with a short classifier, and the moments of its samples."""
    q = QUICK_CHECK
    samples = model.sample(q["n"], seed=q["sample_seed"])
    real = series_data.make_sines(q["n"], seed=q["real_seed"])
    score = discriminative_score(real, samples, iterations=q["iterations"], seed=q["classifier_seed"])["score"]
    return {
        "quick_discriminative_score": score,
        "sample_mean": float(samples.mean()),
        "sample_std": float(samples.std()),
        "sample_min": float(samples.min()),
        "sample_max": float(samples.max()),
    }
