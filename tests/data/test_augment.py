import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rs3l_keras.data import augment
from rs3l_keras.data.series import lengths_of, load_ucr, pad_series

AUGMENTATIONS = {
    "jitter": augment.Jitter(0.2),
    "scaling": augment.Scaling(0.3),
    "cropping": augment.Cropping(0.3, 0.9),
    "time_masking": augment.TimeMasking(0.3),
    "permutation": augment.Permutation(5),
    "random_apply": augment.RandomApply(augment.Jitter(0.5), 0.5),
    "compose": augment.default_views(),
}


@st.composite
def padded_batches(draw):
    n, width, channels = draw(st.integers(1, 5)), draw(st.integers(1, 30)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    lengths = [draw(st.integers(1, width)) for _ in range(n)]
    return pad_series([rng.normal(5.0, 3.0, (t, channels)).astype("float32") for t in lengths], width)


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
@settings(max_examples=40, deadline=None)
@given(batch=padded_batches(), seed=st.integers(0, 2**31))
def test_shape_padding_and_seed_determinism(name, batch, seed):
    aug = AUGMENTATIONS[name]
    view = aug(batch, seed)
    assert view.shape == batch.shape and view.dtype == batch.dtype
    # Padded steps stay padded; the observed part stays finite and right-aligned.
    assert np.isnan(view[np.isnan(batch)]).all()
    new_lengths = lengths_of(view)
    assert (new_lengths <= lengths_of(batch)).all() and (new_lengths >= 1).all()
    for row, n in zip(view, new_lengths):
        assert np.isfinite(row[len(row) - n :]).all() and np.isnan(row[: len(row) - n]).all()
    if name != "cropping" and name != "compose":
        np.testing.assert_array_equal(new_lengths, lengths_of(batch))
    np.testing.assert_array_equal(view, aug(batch, seed))
    np.testing.assert_array_equal(view, aug(batch, np.random.default_rng(seed)))


def test_augmentations_change_real_series_as_documented():
    x, _ = load_ucr("GunPoint", "train")
    x = x[:20]
    rng = 0
    jittered = augment.Jitter(0.1)(x, rng)
    ratio = (jittered - x).std(axis=1) / x.std(axis=1)
    assert 0.07 < ratio.mean() < 0.13  # noise at 10% of each series' own spread
    scaled = augment.Scaling(0.5)(x, rng)
    np.testing.assert_allclose(scaled.mean(axis=1), x.mean(axis=1), atol=1e-4)  # scaled about the mean
    assert not np.allclose(scaled, x)
    permuted = augment.Permutation(4)(x, rng)
    np.testing.assert_allclose(np.sort(permuted, axis=1), np.sort(x, axis=1))  # same values, new order
    assert not np.array_equal(permuted, x)
    masked = augment.TimeMasking(0.2)(x, rng)
    changed = (masked != x).any(-1).sum(1)
    assert (changed <= 30).all() and (changed >= 25).all()  # one span of 30 of the 150 steps
    cropped = augment.Cropping(0.5, 0.5)(x, rng)
    assert (lengths_of(cropped) == 75).all()
    for row, view in zip(x, cropped):  # the window is a contiguous piece of the series
        window = view[-75:, 0]
        starts = [s for s in range(76) if np.array_equal(row[s : s + 75, 0], window)]
        assert starts
    # Different seeds give different views; one series gives the same as in a batch.
    assert not np.array_equal(augment.default_views()(x, 1), augment.default_views()(x, 2))
    assert augment.Jitter(0.1)(x[0], 3).shape == x[0].shape


def test_variable_length_japanese_vowels_views():
    x, _ = load_ucr("JapaneseVowels", "train")
    batch = pad_series(x[:32])
    view = augment.default_views()(batch, 0)
    assert view.shape == batch.shape
    assert np.isnan(view[np.isnan(batch)]).all()
    assert (lengths_of(view) <= lengths_of(batch)).all()


def test_augmented_batches_are_a_function_of_seed_and_epoch():
    import tensorflow as tf

    x, _ = load_ucr("ItalyPowerDemand", "train")
    epoch = tf.Variable(0, dtype=tf.int64)

    def views(batch, rng):
        return augment.Jitter(0.1)(batch, rng), augment.Jitter(0.1)(batch, rng)

    def run(seed):
        ds = augment.augmented_batches(x, 16, views, seed=seed, epoch=epoch)
        return [tuple(v.numpy() for v in item) for item in ds]

    first = run(5)
    assert len(first) == 5 and first[0][0].shape == (16, 24, 1) and first[-1][0].shape == (3, 24, 1)
    assert not np.array_equal(first[0][0], first[0][1])
    again = run(5)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a[0], b[0])
    epoch.assign(1)
    assert not np.array_equal(run(5)[0][0], first[0][0])


def test_errors():
    with pytest.raises(ValueError, match=r"`sigma` must be a number in \[0.0, inf\), received -1"):
        augment.Jitter(-1)
    with pytest.raises(ValueError, match=r"`min_ratio` must be a number in \(0.0, 1.0\], received 0"):
        augment.Cropping(0)
    with pytest.raises(ValueError, match=r"`max_ratio` must be a number in \[0.8, 1.0\], received 0.5"):
        augment.Cropping(0.8, 0.5)
    with pytest.raises(ValueError, match=r"`ratio` must be a number in \[0.0, 1.0\), received 1"):
        augment.TimeMasking(1)
    with pytest.raises(ValueError, match="`max_segments` must be an int >= 1, received 0"):
        augment.Permutation(0)
    with pytest.raises(ValueError, match=r"`p` must be a number in \[0.0, 1.0\], received 2"):
        augment.RandomApply(augment.Jitter(), 2)
    with pytest.raises(TypeError, match=r"`augmentations\[1\]` must be an Augmentation, received function"):
        augment.Compose([augment.Jitter(), lambda x: x])
    with pytest.raises(ValueError, match=r"`x` must be a float array .* shape \(5,\)"):
        augment.Jitter()(np.zeros(5, "float32"), 0)
    with pytest.raises(TypeError, match="`rng` must be a numpy Generator, an int seed or None, received str"):
        augment.Jitter()(np.zeros((5, 1), "float32"), "seed")
