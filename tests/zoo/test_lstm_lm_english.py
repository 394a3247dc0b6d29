"""`lstm-lm-english`: loads, tokenises subwords, re-measures its recorded numbers, and learns."""

import json
import pathlib

import pytest

import rs3l_keras as rs3l
from rs3l_keras.data import corpus
from rs3l_keras.data.tokenizers import SentencePieceTokenizer
from tests.helpers import run_learns

NAME = "lstm-lm-english"


@pytest.fixture(scope="module")
def preset():
    return rs3l.load_pretrained(NAME), rs3l.preset_metadata(NAME)


def test_is_a_tied_subword_lm_with_its_corpus_recorded(preset):
    model, meta = preset
    assert isinstance(model.tokenizer, SentencePieceTokenizer) and model.tie_embeddings
    text = "The committee's decision, announced on Tuesday, surprised investors.\nZoë"
    assert model.tokenizer.decode(model.tokenizer.encode(text)) == text
    data = meta["data"]
    assert data["name"] == "english_mix" and data["train_chars"] >= 50_000_000  # the 50 MB
    assert set(data["sources"]) == set(corpus.SOURCES)
    assert all(s["license"] and s["install"] for s in data["sources"].values())
    # trained on the corpus without movie-review text (DATA.md): the documents it left out are
    # those listed now (Brown test documents are never read; fortune items: the fingerprint test)
    for name, ruled_out in corpus.EXCLUDED_DOCUMENTS.items():
        assert data["sources"][name]["ruled_out_documents"] == len(ruled_out - corpus.BROWN_TEST_DOCUMENTS)
    torch_run = meta["baselines"]["plain PyTorch LSTM, same size and data, shorter run"]
    assert torch_run["steps"] < meta["training"]["steps"] and torch_run["heldout_bits_per_char"] > 0


def test_recorded_shakespeare_prefix_metric_reproduces(preset, shakespeare_test):
    """A re-measurement that needs only the data extra (the corpus held-out needs `make corpus`):
    the first 50,000 characters of the 4 plays, as `zoo/recipes/lstm_lm_english.py` scores them."""
    model, meta = preset
    scored = model.score_text(shakespeare_test[:50_000], batch_size=64, verbose=0)
    assert scored["num_chars"] == meta["metrics"]["shakespeare_prefix_num_chars"]
    assert scored["bits_per_char"] == pytest.approx(meta["metrics"]["shakespeare_prefix_bits_per_char"], abs=0.01)


def test_recorded_heldout_metric_reproduces_when_the_corpus_is_installed(preset):
    model, meta = preset
    try:
        mix = corpus.english_mix()
    except corpus.SourceUnavailableError as error:
        pytest.skip(f"corpus not installed (make corpus): {error.source}")
    from rs3l_keras.evaluation import label_efficiency

    mix = corpus.english_mix(exclude=label_efficiency.all_test_texts())
    assert mix.fingerprint_sha256 == meta["data"]["fingerprint_sha256"]
    scored = model.score_text(mix.heldout_text, batch_size=64, verbose=0)
    assert scored["num_chars"] == meta["metrics"]["heldout_num_chars"]
    assert scored["bits_per_char"] == pytest.approx(meta["metrics"]["heldout_bits_per_char"], abs=0.01)


def test_same_network_learns_from_scratch_on_real_reviews():
    import keras

    from rs3l_keras.data.reviews import load_reviews

    model = rs3l.load_pretrained(NAME, weights=False)
    model.compile(optimizer=keras.optimizers.Adam(3e-3, global_clipnorm=1.0))
    texts, _ = load_reviews("train")
    run_learns(model, "\n".join(texts[:600]), steps=25, batch_size=16, min_drop=1.0)


def test_recorded_benchmark_is_in_the_model_card(preset):
    _, meta = preset
    downstream = meta.get("downstream", {})
    assert downstream, "the label-efficiency results belong in the preset's metadata"
    root = pathlib.Path(__file__).parents[2]
    runs = []
    for spec in downstream["how measured"].split(" (")[0].split(" + "):  # PATH or PATH:ARM,ARM
        path, _, arms = spec.partition(":")
        rows = json.loads((root / path).read_text())["runs"]
        runs += [r for r in rows if not arms or r["arm"] in arms.split(",")]
    pretrained = [r["accuracy"] for r in runs if (r["task"], r["arm"], r["labels"]) == ("spam", "pretrained", 100)]
    assert (
        len(pretrained) == 3
        and f"pretrained {sum(pretrained) / 3:.3f}"
        in downstream["spam 100 labels: test accuracy, mean of seeds 0-2 (best baseline)"]
    )
