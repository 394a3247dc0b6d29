import json
import os
import shutil

import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras.zoo import hub


def _ids(lm):
    return lm.tokenizer.encode("HAMLET\nTo be, or not to be")[None]


def test_save_and_load_round_trip(tiny_preset):
    lm, path = tiny_preset
    assert sorted(os.listdir(path)) == [
        "README.md",
        "config.json",
        "metadata.json",
        "model.weights.h5",
        "tokenizer.json",
    ]
    loaded = rs3l.load_pretrained(path)
    np.testing.assert_array_equal(lm.predict_on_batch(_ids(lm)), loaded.predict_on_batch(_ids(lm)))
    assert loaded.tokenizer == lm.tokenizer and loaded.compiled
    meta = rs3l.preset_metadata(path)
    assert meta["objective"] == "LanguageModel" and meta["num_parameters"] == lm.count_params()
    assert meta["metrics"]["heldout_bits_per_char"] == 5.5
    assert set(meta["files"]) == {"README.md", "config.json", "model.weights.h5", "tokenizer.json"}
    assert {"keras", "rs3l_keras", "backend"} <= set(meta["versions"])
    card = (path / "README.md").read_text()
    assert "heldout_bits_per_char" in card and "pytest" in card


def test_weights_false_gives_same_architecture_fresh_weights(tiny_preset):
    lm, path = tiny_preset
    fresh = rs3l.load_pretrained(path, weights=False)
    assert [w.shape for w in fresh.weights] == [w.shape for w in lm.weights]
    assert fresh.tokenizer == lm.tokenizer
    assert not np.allclose(fresh.predict_on_batch(_ids(lm)), lm.predict_on_batch(_ids(lm)))


def test_weights_file_has_no_optimizer_state(tiny_preset):
    import h5py

    _, path = tiny_preset
    with h5py.File(path / "model.weights.h5") as f:
        assert "optimizer" not in f


@pytest.mark.parametrize("damage", ["bitflip", "truncate", "delete", "swap"])
def test_damaged_files_raise_one_clear_error(tiny_preset, damage):
    _, path = tiny_preset
    weights = path / "model.weights.h5"
    if damage == "bitflip":
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0x01
        weights.write_bytes(bytes(data))
    elif damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:1000])
    elif damage == "delete":
        weights.unlink()
    else:
        shutil.copy(path / "tokenizer.json", weights)
    with pytest.raises(rs3l.PresetIntegrityError, match="model.weights.h5") as info:
        rs3l.load_pretrained(path)
    expected = json.loads((path / "metadata.json").read_text())["files"]["model.weights.h5"]
    assert expected in str(info.value)


def test_registry_pin_on_metadata(tiny_preset, monkeypatch):
    _, path = tiny_preset
    monkeypatch.setenv("RS3L_ZOO_DIR", str(path.parent))
    monkeypatch.setitem(hub.PRESETS, "tiny-lm", {"path": "tiny-lm", "metadata_sha256": "0" * 64})
    with pytest.raises(rs3l.PresetIntegrityError, match="does not match the registry"):
        rs3l.load_pretrained("tiny-lm")
    monkeypatch.setitem(
        hub.PRESETS, "tiny-lm", {"path": "tiny-lm", "metadata_sha256": hub.sha256_file(path / "metadata.json")}
    )
    assert type(rs3l.load_pretrained("tiny-lm")).__name__ == "LanguageModel"


def test_unknown_name_suggests_closest():
    with pytest.raises(rs3l.UnknownPresetError, match="Did you mean 'lstm-lm-small'"):
        rs3l.load_pretrained("lstm-lm-smal")
    with pytest.raises(TypeError, match="`preset` must be a preset name"):
        rs3l.load_pretrained(42)


def test_list_models_filters():
    assert "lstm-lm-small" in rs3l.list_models()
    assert rs3l.list_models("lstm-*") == [n for n in rs3l.list_models() if n.startswith("lstm-")]
    assert rs3l.list_models("nothing-*") == []


def test_file_url_downloads_once_then_loads_from_cache(tiny_preset, tmp_path):
    lm, path = tiny_preset
    (tmp_path / "served").mkdir()
    archive, digest = rs3l.pack_preset(path, tmp_path / "served" / "tiny-lm.tar.gz")
    url = archive.as_uri()
    cache = tmp_path / "cache"
    first = rs3l.load_pretrained(url, cache_dir=str(cache))
    np.testing.assert_array_equal(first.predict_on_batch(_ids(lm)), lm.predict_on_batch(_ids(lm)))
    cached = list((cache / "rs3l_presets").glob("tiny-lm-*"))
    assert len(cached) == 1
    archive.unlink()  # the "server" is gone: the second load must come from the cache
    second = rs3l.load_pretrained(url, cache_dir=str(cache))
    np.testing.assert_array_equal(second.predict_on_batch(_ids(lm)), lm.predict_on_batch(_ids(lm)))
    assert hub.download_preset(url, cache_dir=str(cache)) == cached[0]
    assert len(digest) == 64


def test_crafted_config_cannot_name_other_classes(tiny_preset):
    _, path = tiny_preset
    config = json.loads((path / "config.json").read_text())
    config.update({"module": "builtins", "class_name": "eval", "registered_name": None})
    (path / "config.json").write_text(json.dumps(config))
    rs3l.update_metadata(path, {})  # an attacker can re-hash; the loader must still refuse
    with pytest.raises(rs3l.PresetIntegrityError, match="may only build rs3l_keras classes"):
        rs3l.load_pretrained(path)


def test_config_that_does_not_fit_weights_fails_before_loading(tiny_preset):
    _, path = tiny_preset
    config = json.loads((path / "config.json").read_text())
    config["config"]["backbone"]["config"]["hidden_dim"] = 24
    (path / "config.json").write_text(json.dumps(config))
    rs3l.update_metadata(path, {})
    with pytest.raises(rs3l.PresetIntegrityError, match="does not fit the preset's config"):
        rs3l.load_pretrained(path)


def test_save_replaces_a_preset_atomically_but_never_other_folders(tiny_preset, tmp_path):
    lm, path = tiny_preset
    rs3l.save_pretrained(lm, path, metrics={"x": 1.0})
    assert rs3l.preset_metadata(path)["metrics"] == {"x": 1.0}
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]
    other = tmp_path / "my-notes"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="is not a preset"):
        rs3l.save_pretrained(lm, other)
    assert os.listdir(other) == ["notes.txt"]
    with pytest.raises(TypeError, match="`metrics` must be a dict"):
        rs3l.save_pretrained(lm, tmp_path / "x", metrics=[1])
    assert not (tmp_path / "x").exists()


def test_update_metadata_adds_results_and_repins(tiny_preset):
    _, path = tiny_preset
    rs3l.update_metadata(path, {"downstream": {"reviews_acc_100_labels": 0.8}})
    meta = rs3l.preset_metadata(path)
    assert meta["downstream"] == {"reviews_acc_100_labels": 0.8}
    assert "reviews_acc_100_labels" in (path / "README.md").read_text()


def test_tokenizer_that_does_not_fit_the_config_is_refused(tiny_preset):
    _, path = tiny_preset
    tokenizer = json.loads((path / "tokenizer.json").read_text())
    tokenizer["config"]["vocabulary"].append("\u2603")  # one token too many for the embedding
    (path / "tokenizer.json").write_text(json.dumps(tokenizer))
    rs3l.update_metadata(path, {})
    with pytest.raises(rs3l.PresetIntegrityError, match="do not describe a valid model: .*must match"):
        rs3l.load_pretrained(path)
