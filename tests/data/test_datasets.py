import socket

import numpy as np
import pytest
import tensorflow_datasets as tfds

import rs3l_keras.data.tfds_builders  # noqa: F401  registers the rs3l_* builders (tfds.load by name below)
from rs3l_keras import datasets
from rs3l_keras.data import shakespeare, ucr_archive

# Of the 88 UCR archive sets without an aeon entry, three stand for all (one reader; the whole
# archive is read by tests/data/test_ucr_archive.py): equal lengths, unequal lengths, gaps.
ARCHIVE_SAMPLE = ("ECG200", "PLAID", "DodgerLoopDay")
# english_mix needs `make corpus` (npm tarballs, Debian packages), which `make test` does not install:
# tests/data/test_corpus.py builds it from what the test environment has.
NAMES = [
    n
    for n in datasets.list_datasets()
    if n != "english_mix" and (n not in ucr_archive.ARCHIVE or n in datasets.UCR_SETS + ARCHIVE_SAMPLE)
]


@pytest.mark.parametrize("name", NAMES)
def test_every_dataset_loads_as_its_catalogue_says(name):
    entry = datasets.info(name)
    assert entry.name == name and entry.source and entry.license and entry.citation and entry.description
    assert set(entry.sizes) == set(entry.splits) and entry.splits[:2] == ("train", "test")
    for split in entry.splits:
        value = datasets.load(name, split)
        if name == "shakespeare":
            assert isinstance(value, str) and value == shakespeare.load_text(split)
            assert len(shakespeare.load_plays(split)) == entry.sizes[split]
        elif entry.kind == "labelled text":
            texts, labels = value
            assert len(texts) == len(labels) == entry.sizes[split] and all(isinstance(t, str) and t for t in texts)
            assert set(labels.tolist()) == {0, 1}
        elif entry.kind in ("classification series", "anomaly series"):
            x, labels = value
            assert len(x) == len(labels) == entry.sizes[split] and labels.dtype == np.int32
            series = [x] if entry.kind == "anomaly series" else x  # one series (time, 1), or n series
            assert all(np.asarray(s).ndim == 2 and len(s) > 1 and np.isfinite(s).all() for s in series)
        elif isinstance(value, list):  # forecasting archives: one 1-D series each, unequal lengths
            assert len(value) == entry.sizes[split]
            assert all(s.ndim == 1 and s.dtype == np.float32 and np.isfinite(s).all() for s in value)
        else:  # series: (time, channels), or (n, length, channels) for the generated sines
            assert value.dtype == np.float32 and np.isfinite(value).all() and len(value) == entry.sizes[split]


def test_train_and_test_are_disjoint_where_they_should_be():
    train = {name for name, _, _ in shakespeare.load_plays("train")}
    assert train.isdisjoint(set(shakespeare.HELD_OUT_PLAYS)) and len(train) == 34
    texts = {split: set(datasets.load("amazon_reviews", split)[0]) for split in ("train", "test")}
    assert len(texts["train"] & texts["test"]) <= 7  # duplicated reviews in the source data (documented)
    for name in datasets.UCR_SETS:
        (x_train, y_train), (x_test, y_test) = datasets.load(name, "train"), datasets.load(name, "test")
        assert not {s.tobytes() for s in x_train} & {s.tobytes() for s in x_test}, name
        assert set(y_test.tolist()) <= set(y_train.tolist()) == set(range(y_train.max() + 1)), name
    normal, normal_labels = datasets.load("ucr_anomaly_135", "train")
    full, labels = datasets.load("ucr_anomaly_135", "test")
    np.testing.assert_array_equal(full[: len(normal)], normal)  # test is the whole series (documented)
    assert normal_labels.sum() == 0 and labels.sum() == 12 and labels[: len(normal)].sum() == 0
    train, test = datasets.load("sines", "train", n=50), datasets.load("sines", "test", n=50)
    assert not np.allclose(train, test) and train.shape == (50, 24, 5)
    np.testing.assert_array_equal(datasets.load("sines", "all", n=50), np.concatenate([train, test]))
    np.testing.assert_array_equal(
        datasets.load("sines", "test", n=50, seed=3), datasets.load("sines", "test", n=50, seed=3)
    )


def test_forecasting_splits_are_the_benchmark_hold_outs():
    from rs3l_keras.evaluation import forecasting

    for name, holdout in datasets.FORECAST_HOLDOUT.items():
        train, test = forecasting.split(name)
        assert forecasting.PROTOCOLS[name]["test"] == holdout
        np.testing.assert_array_equal(datasets.load(name, "train"), train)
        np.testing.assert_array_equal(datasets.load(name, "test"), test)
        np.testing.assert_array_equal(np.concatenate([train, test]), datasets.load(name, "all"))
    assert datasets.load("airline", "test").shape == (36, 1) and datasets.load("elecdemand", "test").shape == (1344, 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: datasets.load("gunpoint"), "`name` must be one of ('shakespeare', 'amazon_reviews', 'GunPoint'"),
        (lambda: datasets.load("gunpoint"), "received 'gunpoint'. Did you mean 'GunPoint'?"),
        (lambda: datasets.info("tiny_shakespeare"), "Did you mean 'shakespeare'?"),
        (
            lambda: datasets.load("ag_news"),
            "Online TFDS datasets (tiny_shakespeare, ag_news_subset, ...) are read with",
        ),
        (
            lambda: datasets.load("shakespeare", "validation"),
            "`split` for dataset 'shakespeare' must be one of ('train', 'test', 'all'), received 'validation'.",
        ),
        (lambda: datasets.load("GunPoint", "all"), "`split` for dataset 'GunPoint' must be one of ('train', 'test')"),
        (lambda: datasets.load("airline", n=5), "only apply to 'sines', not to 'airline'"),
    ],
)
def test_bad_names_and_splits_are_clear_errors(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


def _no_network(*args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (network blocked by the test)")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("tfds"))


def _examples(ds):
    return list(tfds.as_numpy(ds))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "shakespeare"])
def test_tfds_builders_hold_the_loaders_content(name, data_dir, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)  # preparing the builders needs no network
    entry = datasets.info(name)
    split = "test"
    examples = _examples(datasets.load(name, split, as_tfds=True, data_dir=data_dir))
    expected = datasets.load(name, split)
    if entry.tfds_name is None and entry.kind == "classification series":  # archive sets: (series, label), in order
        assert [int(e["label"]) for e in examples] == expected[1].tolist()
        assert all(np.array_equal(e["series"], s) for e, s in zip(examples, expected[0]))
        return
    if entry.tfds_name is None and isinstance(expected, list):  # forecasting archives: one series each, in order
        assert len(examples) == len(expected) and all(
            np.array_equal(e["series"], s) for e, s in zip(examples, expected)
        )
        return
    if entry.tfds_name is None:  # sines: the generated arrays, in order
        np.testing.assert_array_equal(np.stack(examples), expected)
        return
    builder = tfds.builder(entry.tfds_name, data_dir=data_dir)
    assert {s: builder.info.splits[s].num_examples for s in ("train", "test")} == (
        {"train": 1, "test": 1}
        if entry.kind in ("series", "anomaly series")
        else {s: entry.sizes[s] for s in ("train", "test")}
    )
    if entry.kind == "labelled text":  # TFDS shuffles on write: compare as multisets
        assert sorted((e["text"].decode(), int(e["label"])) for e in examples) == sorted(
            zip(expected[0], expected[1].tolist())
        )
    elif entry.kind == "classification series":
        got = sorted((int(e["label"]), e["series"].tobytes()) for e in examples)
        assert got == sorted((int(y), np.asarray(x, "float32").tobytes()) for x, y in zip(*expected))
    elif entry.kind == "anomaly series":
        np.testing.assert_array_equal(examples[0]["series"], expected[0])
        np.testing.assert_array_equal(examples[0]["labels"], expected[1])
    else:  # forecasting: one example per split; "all" = train+test, in time order
        np.testing.assert_array_equal(examples[0]["series"], expected)
        whole = _examples(datasets.load(name, "all", as_tfds=True, data_dir=data_dir))
        np.testing.assert_array_equal(np.concatenate([e["series"] for e in whole]), datasets.load(name, "all"))


def test_tfds_shakespeare_and_the_online_text_path_on_a_prepared_dataset(data_dir):
    plays = {
        e["play"].decode(): e["text"].decode()
        for e in _examples(tfds.load("rs3l_shakespeare", split="test", data_dir=data_dir, try_gcs=False))
    }
    assert plays == {name: text for name, _, text in shakespeare.load_plays("test")}
    # load_tfds_text is what `rs3l pretrain --data tfds:NAME` uses for online datasets
    train, heldout, meta = datasets.load_tfds_text("rs3l_shakespeare", data_dir=data_dir)
    assert len(heldout) == len(shakespeare.load_text("test")) and all(text in heldout for text in plays.values())
    assert len(train) == len(shakespeare.load_text("train")) and "HAMLET" not in train.split("\n")
    assert meta["heldout_split"] == "test" and meta["text_key"] == "text" and meta["name"] == "tfds:rs3l_shakespeare"
    _, genres, _ = datasets.load_tfds_text("rs3l_shakespeare", data_dir=data_dir, text_key="genre")
    assert sorted(genres.split("\n")) == sorted(genre for _, genre, _ in shakespeare.load_plays("test"))
    with pytest.raises(
        ValueError,
        match=r"`text_key` for TFDS dataset 'rs3l_shakespeare' must be one of its "
        r"text features \['play', 'genre', 'text'\], received 'plays'",
    ):
        datasets.load_tfds_text("rs3l_shakespeare", data_dir=data_dir, text_key="plays")
    with pytest.raises(ValueError, match="TFDS has no dataset 'tiny_shakespear'. Did you mean 'tiny_shakespeare'"):
        datasets.load_tfds_text("tiny_shakespear", data_dir=data_dir)


def test_online_dataset_offline_fails_fast_and_leaves_nothing(tmp_path, monkeypatch):
    import time

    monkeypatch.setattr(socket, "getaddrinfo", _no_network)  # offline, whatever the machine running the test
    (tmp_path / "keep.txt").write_text("the user's own file")
    start = time.perf_counter()
    with pytest.raises(datasets.DatasetUnavailableError) as info:
        datasets.load_tfds_text("tiny_shakespeare", data_dir=str(tmp_path))
    assert time.perf_counter() - start < 30  # TFDS' own 10 retries with back-off take ~3.5 minutes
    error = info.value
    assert error.name == "tiny_shakespeare" and error.data_dir == str(tmp_path)
    assert "could not download TFDS dataset 'tiny_shakespeare' (offline?)" in str(error)
    assert "raw.githubusercontent.com" in error.cause and isinstance(error, ConnectionError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]  # nothing half-written
    from tensorflow_datasets.core.download import downloader

    assert downloader.MAX_RETRIES == 10  # TFDS' own setting is restored
