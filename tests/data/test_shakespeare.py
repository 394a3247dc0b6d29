import tensorflow_datasets as tfds

from rs3l_keras.data import shakespeare


def test_split_by_whole_plays():
    train = {name for name, _, _ in shakespeare.load_plays("train")}
    test = {name for name, _, _ in shakespeare.load_plays("test")}
    assert len(train) == 34 and test == set(shakespeare.HELD_OUT_PLAYS)
    assert not train & test
    assert len(shakespeare.load_plays("all")) == 38


def test_markup_is_stripped():
    text = shakespeare.load_text("test")
    assert text.startswith("Hamlet\n")
    for markup in ("**", "_", "#", "\\[", "  \n"):
        assert markup not in text
    assert "HAMLET\nTo be, or not to be: that is the question:" in text
    assert 500_000 < len(text) < 560_000


def test_fingerprint_is_stable_and_split_specific():
    assert shakespeare.fingerprint("all") == shakespeare.fingerprint("all")
    assert shakespeare.fingerprint("train") != shakespeare.fingerprint("test")


def test_tfds_builder_offline(tmp_path):
    import rs3l_keras.data.tfds_builders  # noqa: F401  registers rs3l_shakespeare

    ds = tfds.load("rs3l_shakespeare", split="test", data_dir=str(tmp_path))
    plays = {ex["play"].numpy().decode(): ex["text"].numpy().decode() for ex in ds}
    assert set(plays) == set(shakespeare.HELD_OUT_PLAYS)
    assert plays["hamlet"] == dict((n, t) for n, _, t in shakespeare.load_plays("test"))["hamlet"]
