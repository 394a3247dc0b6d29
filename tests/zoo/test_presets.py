"""Every registered preset: verified, loadable, documented, and its recorded numbers reproduce."""

import json
import pathlib

import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import pretrain
from rs3l_keras.zoo import hub, metadata, model_card

GOLDEN = pathlib.Path(__file__).parents[1] / "golden"
REQUIRED = set(metadata.REQUIRED_KEYS)
TEXT_OBJECTIVES = {cls.__name__ for cls in pretrain.TEXT_OBJECTIVES.values()}
# Text presets are re-measured here on the held-out plays; every time-series preset has its
# own test in tests/zoo/test_<name>.py that re-measures its headline metric.
TEXT_PRESETS = [n for n in rs3l.list_models() if rs3l.preset_metadata(n)["objective"] in TEXT_OBJECTIVES]


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
    assert meta["headline_metric"] in meta["metrics"]
    if meta["objective"] in TEXT_OBJECTIVES and meta["command"].startswith("rs3l pretrain"):
        assert f"--recipe 'bash zoo/recipes/{name}.sh'" in meta["command"]
        assert "sequence_length" in meta
    elif meta["objective"] in TEXT_OBJECTIVES:  # a GPU recipe script (Keras on JAX, no TF needed)
        # a GPU recipe (Keras on JAX) or a one-core CPU recipe (Keras on torch, PyTorch's LSTM kernel)
        assert meta["command"].startswith(
            ("KERAS_BACKEND=jax python zoo/recipes/", "KERAS_BACKEND=torch OMP_NUM_THREADS=1 python zoo/recipes/")
        )
        assert meta["command"].split(" --output")[0] in recipe.read_text()
        assert "sequence_length" in meta
    else:  # trained by a benchmark script that the recipe runs
        assert meta["command"].split()[0] == "python" and " ".join(meta["command"].split()[:3]) in recipe.read_text()
        assert (pathlib.Path(__file__).parent / f"test_{name.replace('-', '_')}.py").exists()
    size = sum(p.stat().st_size for p in (hub.zoo_directory() / name).iterdir())
    # A few MB; the one GPU-trained "medium" preset (2x512 LSTM, 3.5M parameters) is allowed 16.
    # The two larger language models (a 2x512 char LSTM; a 1x512 subword LSTM with a 4,000 x 256
    # tied embedding and its SentencePiece model) are allowed 16.
    assert size < (16 if name.endswith(("-medium", "-english")) else 10) * 2**20


def _reproduce(model, meta, heldout):
    """The objective's own held-out report, and its tolerance for a re-measurement."""
    report = model.heldout_report(heldout, num_lines=meta["metrics"].get("heldout_num_lines", 500))["metrics"]
    if "heldout_num_chars" in report:
        assert report["heldout_num_chars"] == meta["metrics"]["heldout_num_chars"]
    value = report[meta["headline_metric"]]
    absolute, relative = model.headline_tolerance
    return value, absolute + relative * value


# Presets trained on other text (english_mix) are re-measured by their own test file.
SHAKESPEARE_PRESETS = [n for n in TEXT_PRESETS if rs3l.preset_metadata(n)["data"]["name"] == "shakespeare"]


@pytest.mark.parametrize("name", SHAKESPEARE_PRESETS)
def test_recorded_heldout_metric_reproduces(name, shakespeare_test):
    from rs3l_keras.data import shakespeare

    meta = rs3l.preset_metadata(name)
    assert meta["data"]["fingerprint_sha256"] == shakespeare.fingerprint("all")
    value, tolerance = _reproduce(rs3l.load_pretrained(name), meta, shakespeare_test)
    assert abs(value - meta["metrics"][meta["headline_metric"]]) <= tolerance


@pytest.mark.parametrize("name", TEXT_PRESETS)
def test_preset_meets_its_quality_bar(name):
    """The targets of the issues, checked on the recorded (and reproduced) numbers."""
    meta = rs3l.preset_metadata(name)
    metrics, baselines = meta["metrics"], meta.get("baselines", {})
    if meta["objective"] == "LanguageModel" and name.endswith("-medium"):  # beats every reference point
        assert metrics["heldout_bits_per_char"] < min(baselines.values())
    elif meta["objective"] == "LanguageModel" and name.endswith("-english"):  # beats the plain PyTorch LSTM
        reference = baselines["plain PyTorch LSTM, same size and data, shorter run"]
        assert metrics["heldout_bits_per_char"] < reference["heldout_bits_per_char"]
    elif meta["objective"] == "LanguageModel":
        assert metrics["heldout_bits_per_char"] <= 2.15 and meta["num_parameters"] <= 2_000_000
    elif meta["objective"] == "MaskedLanguageModel":  # both sides must clearly beat the left side
        assert metrics["heldout_masked_accuracy"] > baselines["left_context_lm_accuracy"] + 0.05
        assert metrics["heldout_mask_token_accuracy"] > baselines["left_context_lm_mask_token_accuracy"] + 0.05
    elif meta["objective"] == "Seq2Seq":
        assert metrics["heldout_cer"] < baselines["copy_input_cer"]
    elif meta["objective"] == "SequenceVAE":  # no posterior collapse
        assert metrics["heldout_kl"] > 1.0 and len(meta["samples"]) >= 3


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden_logits(path):
    golden = json.loads(path.read_text())
    model = rs3l.load_pretrained(golden["preset"])
    ids = model.tokenizer.encode(golden["text"])[None]
    logits = np.asarray(model.predict_on_batch(ids))[0]
    got = logits[golden["positions"]][:, golden["vocab_slice"][0] : golden["vocab_slice"][1]]
    np.testing.assert_allclose(got, np.array(golden["logits"]), atol=2e-4, rtol=1e-4)
