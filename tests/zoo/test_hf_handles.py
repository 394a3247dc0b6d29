"""`hf://owner/name` handles, offline: `upload_preset` through `huggingface_hub` (the network
calls replaced by a fake hub that writes what it receives into a local hub cache), then
`load_pretrained("hf://…")` from that cache with `HF_HUB_OFFLINE`, verified as any preset."""

import hashlib
import json
import time

import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras.zoo import hub

huggingface_hub = pytest.importorskip("huggingface_hub")


class FakeHub:
    """Stands in for the Hub's HTTP API: each commit lands in `cache` in the layout
    huggingface_hub reads (blobs by hash, snapshots/<commit>/ linking to them, refs/<branch>)."""

    def __init__(self, cache):
        self.cache = cache
        self.created, self.commits = [], []

    def create_repo(self, api, repo_id, repo_type=None, private=None, exist_ok=False, **kwargs):
        self.created.append((repo_id, repo_type, private, exist_ok))

    def upload_folder(self, api, *, repo_id, folder_path, allow_patterns=None, revision=None, **kwargs):
        from pathlib import Path

        root = self.cache / f"models--{repo_id.replace('/', '--')}"
        files = sorted(p for p in Path(folder_path).iterdir() if p.name in allow_patterns)
        commit = hashlib.sha1("".join(p.name + hub.sha256_file(p) for p in files).encode()).hexdigest()
        snapshot = root / "snapshots" / commit
        for sub in (root / "blobs", snapshot, root / "refs"):
            sub.mkdir(parents=True, exist_ok=True)
        for path in files:
            blob = root / "blobs" / hub.sha256_file(path)
            blob.write_bytes(path.read_bytes())
            (snapshot / path.name).symlink_to(f"../../blobs/{blob.name}")
        (root / "refs" / (revision or "main")).write_text(commit)
        self.commits.append((repo_id, [p.name for p in files], kwargs.get("commit_message")))
        return commit


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    fake = FakeHub(tmp_path / "hf-cache")
    monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", lambda api, *a, **k: fake.create_repo(api, *a, **k))
    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", lambda api, **k: fake.upload_folder(api, **k))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # no request may leave
    return fake


def test_upload_then_load_by_handle_offline(tiny_preset, fake_hub):
    lm, path = tiny_preset
    (path / "notes.txt").write_text("not part of the preset")
    rs3l.upload_preset("hf://someone/tiny-lm", path, private=True)
    assert fake_hub.created == [("someone/tiny-lm", "model", True, True)]
    (repo, files, message) = fake_hub.commits[0]
    assert sorted(files) == ["README.md", "config.json", "metadata.json", "model.weights.h5", "tokenizer.json"]
    assert "tiny-lm" in message
    loaded = rs3l.load_pretrained("hf://someone/tiny-lm", cache_dir=str(fake_hub.cache))
    ids = lm.tokenizer.encode("HAMLET\nTo be")[None]
    np.testing.assert_array_equal(loaded.predict_on_batch(ids), lm.predict_on_batch(ids))
    meta = rs3l.preset_metadata("hf://someone/tiny-lm@main", cache_dir=str(fake_hub.cache))
    assert meta["objective"] == "LanguageModel"


def test_registered_preset_hosted_on_the_hub_keeps_its_pin(tiny_preset, fake_hub, monkeypatch):
    _, path = tiny_preset
    rs3l.upload_preset("hf://someone/tiny-lm", path)
    pin = hub.sha256_file(path / "metadata.json")
    monkeypatch.setenv("RS3L_ZOO_DIR", str(fake_hub.cache / "nowhere"))
    entry = {"path": "tiny-lm-hosted", "metadata_sha256": pin, "url": "hf://someone/tiny-lm"}
    monkeypatch.setitem(hub.PRESETS, "tiny-lm-hosted", entry)
    model = rs3l.load_pretrained("tiny-lm-hosted", cache_dir=str(fake_hub.cache))
    assert type(model).__name__ == "LanguageModel"
    monkeypatch.setitem(hub.PRESETS, "tiny-lm-hosted", {**entry, "metadata_sha256": "0" * 64})
    with pytest.raises(rs3l.PresetIntegrityError, match="does not match the registry"):
        rs3l.load_pretrained("tiny-lm-hosted", cache_dir=str(fake_hub.cache))


def test_altered_hub_file_is_refused(tiny_preset, fake_hub):
    _, path = tiny_preset
    rs3l.upload_preset("hf://someone/tiny-lm", path)
    (blob,) = [
        b
        for b in (fake_hub.cache / "models--someone--tiny-lm" / "blobs").iterdir()
        if b.name == json.loads((path / "metadata.json").read_text())["files"]["model.weights.h5"]
    ]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(rs3l.PresetIntegrityError, match="model.weights.h5"):
        rs3l.load_pretrained("hf://someone/tiny-lm", cache_dir=str(fake_hub.cache))


def test_damaged_preset_is_never_uploaded(tiny_preset, fake_hub):
    _, path = tiny_preset
    (path / "config.json").write_text("{}")
    with pytest.raises(rs3l.PresetIntegrityError, match="config.json"):
        rs3l.upload_preset("hf://someone/tiny-lm", path)
    assert fake_hub.commits == []


def test_offline_and_uncached_is_a_clear_error_at_once(fake_hub):
    start = time.monotonic()
    with pytest.raises(rs3l.UnknownPresetError, match=r"'hf://nobody/missing'.*offline"):
        rs3l.load_pretrained("hf://nobody/missing", cache_dir=str(fake_hub.cache))
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("handle", ["hf://only-name", "hf://a/b/c", "hf://a/b@", "hf:///b"])
def test_malformed_handles_name_the_expected_form(handle):
    with pytest.raises(ValueError, match="'hf://owner/name'"):
        rs3l.load_pretrained(handle)
