"""Every registered preset: verified, loadable, documented, and its recorded numbers reproduce."""

import json
import pathlib

import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras.zoo import hub, model_card

GOLDEN = pathlib.Path(__file__).parents[1] / "golden"
REQUIRED = {"objective", "num_parameters", "sequence_length", "data", "recipe", "command", "versions",
            "created", "metrics", "files", "training", "format_version"}


@pytest.mark.parametrize("name", rs3l.list_models())
def test_preset_is_complete_and_documented(name):
    meta = rs3l.preset_metadata(name)
    assert REQUIRED <= set(meta), REQUIRED - set(meta)
    assert meta["name"] == name
    model = rs3l.load_pretrained(name)
    assert model.count_params() == meta["num_parameters"]
    assert type(model).__name__ == meta["objective"]
    card = (hub.zoo_directory() / name / "README.md").read_text()
    assert card == model_card.render({k: v for k, v in meta.items() if k != "files"})
    recipe = hub.zoo_directory() / "recipes" / f"{name}.sh"
    assert recipe.exists() and meta["recipe"] == f"bash zoo/recipes/{name}.sh"
    assert meta["command"].startswith("rs3l pretrain") and f"--recipe 'bash zoo/recipes/{name}.sh'" in meta["command"]
    size = sum(p.stat().st_size for p in (hub.zoo_directory() / name).iterdir())
    assert size < 10 * 2**20  # a few MB


@pytest.mark.parametrize("name", [n for n in rs3l.list_models() if n.startswith("lstm-lm")])
def test_language_model_heldout_bits_per_char_reproduces(name, shakespeare_test):
    from rs3l_keras.data import shakespeare

    meta = rs3l.preset_metadata(name)
    assert meta["data"]["fingerprint_sha256"] == shakespeare.fingerprint("all")
    lm = rs3l.load_pretrained(name)
    result = lm.score_text(shakespeare_test)
    assert result["num_chars"] == meta["metrics"]["heldout_num_chars"]
    assert abs(result["bits_per_char"] - meta["metrics"]["heldout_bits_per_char"]) <= 0.01


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden_logits(path):
    golden = json.loads(path.read_text())
    model = rs3l.load_pretrained(golden["preset"])
    ids = model.tokenizer.encode(golden["text"])[None]
    logits = np.asarray(model.predict_on_batch(ids))[0]
    got = logits[golden["positions"]][:, golden["vocab_slice"][0]:golden["vocab_slice"][1]]
    np.testing.assert_allclose(got, np.array(golden["logits"]), atol=2e-4, rtol=1e-4)
