"""Writes the notebooks of this folder from the cells below (the single source of the notebooks).

    python notebooks/build_notebooks.py            # (re)write notebooks/*.ipynb
    python notebooks/build_notebooks.py --check    # exit 1 if a committed notebook differs

Every notebook opens with the same three cells (what it shows, the Colab install cell, the
GPU-runtime note) and one cell that picks the sizes: `RS3L_NOTEBOOK_SMALL=1` (set by
`tests/test_notebooks.py`) gives settings that run in seconds on a CPU; without it the
notebook uses settings that give meaningful results (minutes on a GPU runtime). The
notebooks only call the library: anything worth reusing belongs in `rs3l_keras`.
Notebooks are written without outputs, execution counts or cell metadata, with stable cell
ids, so that git diffs show only what changed.
"""

import argparse
import pathlib
import sys
import textwrap

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
REPOSITORY = "https://github.com/rs3l/rs3l_keras"

INSTALL = f'''\
# Colab only: install rs3l_keras and fetch its model zoo (the presets ship with the repository).
# Elsewhere, install once from a checkout instead: pip install -e ".[tf,data]"
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    if not os.path.isdir("rs3l-keras"):
        subprocess.run(["git", "clone", "--depth", "1", "{REPOSITORY}", "rs3l-keras"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "./rs3l-keras[tf,data]"], check=True)
    os.environ["RS3L_ZOO_DIR"] = os.path.abspath("rs3l-keras/zoo")'''

GPU_NOTE = """\
**Runtime.** On Colab, pick a GPU: *Runtime → Change runtime type → Hardware accelerator: GPU*
(a T4 is enough; the notebook's metadata asks Colab for one). The LSTM and GRU layers then run
on cuDNN's fused kernels, many times faster than on a CPU. Everything also runs on a CPU, only
slower: the default sizes in the next cell are chosen for a GPU runtime."""


def md(text):
    return ("markdown", textwrap.dedent(text).strip("\n"))


def code(text):
    return ("code", textwrap.dedent(text).strip("\n"))


def small(text):
    """The sizes cell: `SMALL` is True under CI (`RS3L_NOTEBOOK_SMALL=1`)."""
    head = 'import os\n\nSMALL = os.environ.get("RS3L_NOTEBOOK_SMALL") == "1"  # CI: tiny sizes, same code path\n'
    return ("code", head + textwrap.dedent(text).strip("\n"))


NOTEBOOKS = {}

# ---------------------------------------------------------------------------------------------
NOTEBOOKS["01_quick_start"] = [
    md("""
    # Quick start: load a pretrained model, generate text, evaluate it

    Loads `lstm-lm-small` (a character-level LSTM language model pretrained on 34 Shakespeare
    plays) from the model zoo, every file checked against its sha256 before it is read; generates
    text; and measures bits per character on four held-out plays, next to the number recorded in the zoo.
    """),
    small("""
    HELD_OUT_CHARS = 20_000 if SMALL else None  # None: all ~535k held-out characters (~1 min on a CPU)
    SAMPLE_LENGTH = 150 if SMALL else 600       # characters to generate
    """),
    md("""
    ## The zoo

    `list_models()` names the registered presets; `preset_metadata` returns a preset's verified
    metadata: objective, size, training data and its fingerprint, the recipe that reproduces it,
    library versions and held-out metrics.
    """),
    code("""
    import rs3l_keras as rs3l

    rs3l.list_models()
    """),
    code("""
    for name in rs3l.list_models():
        meta = rs3l.preset_metadata(name)
        headline = meta["headline_metric"]
        print(f"{name:27s} {meta['objective']:20s} {meta['num_parameters']:>10,} parameters   "
              f"{headline} = {meta['metrics'][headline]:.4g}")
    """),
    md("""
    ## Load

    `load_pretrained` checks the sha256 of every file (and of `metadata.json` against the
    registry) before deserialising anything, then builds the model from its config with
    `safe_mode=True`. The tokenizer travels with the model.
    """),
    code("""
    lm = rs3l.load_pretrained("lstm-lm-small")
    meta = rs3l.preset_metadata("lstm-lm-small")
    print(type(lm).__name__, f"{lm.count_params():,} parameters,",
          f"vocabulary of {lm.tokenizer.vocabulary_size} characters")
    print("data:", meta["data"]["source"])
    print("recipe:", meta["recipe"])
    """),
    md("""
    ## Generate

    Sampling with a temperature and top-k; the same seed gives the same text. Lower
    temperatures give safer, more repetitive text.
    """),
    code("""
    print(lm.generate("ROMEO.\\n", max_length=SAMPLE_LENGTH, temperature=0.8, top_k=20, seed=0))
    """),
    code("""
    for temperature in (0.3, 1.2):
        print(f"--- temperature {temperature}")
        print(lm.generate("KING.\\n", max_length=SAMPLE_LENGTH // 2, temperature=temperature, seed=1))
    """),
    md("""
    ## Evaluate on held-out text

    `score_text` scores every character once (windows of 256 characters with 64 characters
    of context carried in), in bits per character: lower is better; a model that knew nothing
    would pay log₂(vocabulary size). The four held-out plays were never seen in training.
    """),
    code("""
    import math

    from rs3l_keras.data import shakespeare

    heldout = shakespeare.load_text("test")[:HELD_OUT_CHARS]
    scored = lm.score_text(heldout)
    print("held-out plays:", ", ".join(shakespeare.HELD_OUT_PLAYS))
    print(f"bits/char: {scored['bits_per_char']:.3f} over {scored['num_chars']:,} characters "
          f"(recorded on all held-out plays: {meta['metrics']['heldout_bits_per_char']:.3f}; "
          f"uniform guess: {math.log2(lm.tokenizer.vocabulary_size):.2f})")
    """),
    md("""
    Modern English is another domain: the same model pays more bits per character on Amazon
    food reviews. Notebook 02 trains on your own text; notebook 03 fine-tunes this model on a
    labelled task.
    """),
    code("""
    from rs3l_keras.data.reviews import load_reviews

    reviews, _ = load_reviews("test")
    review_text = "\\n".join(reviews)[: len(heldout)]
    print(f"bits/char on reviews: {lm.score_text(review_text)['bits_per_char']:.3f}")
    """),
    md("""
    ## Integrity

    A preset whose files were altered does not load: the error names the file and both hashes.
    """),
    code("""
    import pathlib
    import shutil

    from rs3l_keras.zoo.hub import resolve_preset

    directory, _ = resolve_preset("lstm-lm-small")
    copy = pathlib.Path("tampered-lm")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(directory, copy)
    weights = bytearray((copy / "model.weights.h5").read_bytes())
    weights[-1] ^= 1  # flip one bit
    (copy / "model.weights.h5").write_bytes(weights)
    try:
        rs3l.load_pretrained(str(copy))
    except rs3l.PresetIntegrityError as error:
        print("refused:", error)
    """),
    md("""
    The same from a shell: `rs3l list`, `rs3l info lstm-lm-small`, `rs3l verify lstm-lm-small`,
    `rs3l generate lstm-lm-small --prompt "ROMEO." --temperature 0.8 --top-k 20 --seed 0`,
    `rs3l evaluate lstm-lm-small --text play.txt`.
    """),
]

# ---------------------------------------------------------------------------------------------
NOTEBOOKS["02_pretrain_your_own_text"] = [
    md("""
    # Pretrain a language model on your own text

    Writes a small corpus to text files (Amazon food reviews stand in for your own documents),
    pretrains a character-level LSTM language model on them with `pretrain_text_model` (what
    `rs3l pretrain --text` runs), saves it as a preset and loads it back, and compares it with
    continuing to train the Shakespeare preset on the same text.
    """),
    small("""
    TRAIN_DOCUMENTS = 150 if SMALL else 4000  # reviews written to the training file (~0.4 kB each)
    HELDOUT_DOCUMENTS = 50 if SMALL else 1000
    HIDDEN_DIM = 64 if SMALL else 512         # LSTM units
    SEQUENCE_LENGTH = 64 if SMALL else 128    # characters per training window
    EPOCHS = 1 if SMALL else 10
    """),
    md("""
    ## Your text, as files

    Any UTF-8 text works, in one file or many. Replace the two files below with your own.
    """),
    code("""
    import pathlib

    from rs3l_keras.data.reviews import load_reviews

    train_reviews, _ = load_reviews("train")
    test_reviews, _ = load_reviews("test")
    corpus = pathlib.Path("my_corpus")
    corpus.mkdir(exist_ok=True)
    (corpus / "train.txt").write_text("\\n".join(train_reviews[:TRAIN_DOCUMENTS]), encoding="utf-8")
    (corpus / "heldout.txt").write_text("\\n".join(test_reviews[:HELDOUT_DOCUMENTS]), encoding="utf-8")
    print({p.name: f"{p.stat().st_size:,} bytes" for p in sorted(corpus.iterdir())})
    """),
    md("""
    ## Pretrain

    `load_corpus` reads the files (and fingerprints them for the model card);
    `pretrain_text_model` fits a character tokenizer, builds the model, trains it (Adam,
    warm-up then cosine decay, gradient clipping, stops at the first non-finite loss),
    scores the held-out file and, with `output=`, saves a preset. Other objectives:
    `objective="masked-language-model"`, `"seq2seq"` or `"sequence-vae"`.
    """),
    code("""
    # plot.* return matplotlib figures; this shows them below the cell
    %matplotlib inline
    import keras

    from rs3l_keras import plot
    from rs3l_keras.pretrain import load_corpus, pretrain_text_model

    train_text, heldout_text, data = load_corpus(text_files=["my_corpus/train.txt"],
                                                 validation_files=["my_corpus/heldout.txt"])
    history = keras.callbacks.History()
    model, metrics = pretrain_text_model(
        train_text, heldout_text, objective="language-model", tokenizer="char",
        hidden_dim=HIDDEN_DIM, sequence_length=SEQUENCE_LENGTH, epochs=EPOCHS, batch_size=64,
        output="my-review-lm", callbacks=[history], verbose=2,
        metadata={"description": "Character LSTM language model on Amazon food reviews.", "data": data},
    )
    metrics
    """),
    code("""
    plot.training_curves(history, title="pretraining on my_corpus/train.txt")
    """),
    md("""
    The same run from a shell (it writes the same preset):

    ```bash
    rs3l pretrain --text my_corpus/train.txt --validation-text my_corpus/heldout.txt \\
        --hidden-dim 512 --epochs 10 --output my-review-lm
    ```
    """),
    md("""
    ## Save and load

    The preset folder holds the config, the tokenizer, the weights, the metadata (with the
    sha256 of every file) and a model card. It loads like any zoo preset, by path.
    """),
    code("""
    import numpy as np

    import rs3l_keras as rs3l

    loaded = rs3l.load_pretrained("my-review-lm")
    same = all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights()))
    print("files:", sorted(p.name for p in pathlib.Path("my-review-lm").iterdir()))
    print("identical weights after the round trip:", same)
    print(loaded.generate("This coffee ", max_length=200, temperature=0.7, top_k=20, seed=0))
    """),
    code("""
    print(pathlib.Path("my-review-lm/README.md").read_text()[:1500])
    """),
    md("""
    ## Or start from the pretrained model

    With little text, continuing to train `lstm-lm-small` (the first step of ULMFiT) usually
    beats training from scratch: the Shakespeare model already knows spelling and syntax.
    Its vocabulary is fixed (characters it never saw map to `<unk>`).
    """),
    code("""
    general = rs3l.load_pretrained("lstm-lm-small")
    before = general.score_text(heldout_text)["bits_per_char"]
    general.compile(optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=1.0))
    general.fit(train_text, epochs=1 if SMALL else 2, batch_size=64, seed=0, verbose=2)
    after = general.score_text(heldout_text)["bits_per_char"]
    print(f"held-out bits/char: lstm-lm-small {before:.3f} -> tuned on the corpus {after:.3f}; "
          f"from scratch {metrics['heldout_bits_per_char']:.3f}")
    """),
]

# ---------------------------------------------------------------------------------------------
NOTEBOOKS["03_finetune_small_labels"] = [
    md("""
    # Fine-tune on a small labelled set: pretrained vs from scratch

    Classifies Amazon food reviews as "great" or not from only 100 labelled examples. Compares
    three uses of the pretrained `lstm-lm-small`: a linear probe on its frozen features, and
    full fine-tuning with ULMFiT's tools, against the same network trained from scratch.
    """),
    small("""
    NUM_LABELS = 100                    # labelled training reviews (the point of the notebook)
    NUM_TEST = 64 if SMALL else 1000    # test reviews
    MAX_CHARS = 48 if SMALL else 192    # characters read per review
    # label budgets of the label-efficiency curve and the epochs for each (fewer with more labels)
    EPOCHS_FOR = {20: 1, 100: 2} if SMALL else {50: 10, 100: 8, 500: 4, 1000: 3}
    EPOCHS = EPOCHS_FOR[NUM_LABELS]
    """),
    md("""
    ## Data

    4,000 training and 1,000 test reviews ship with the `data` extra; label 1 = "great".
    We keep 100 labelled training reviews, drawn at random.
    """),
    code("""
    import numpy as np

    from rs3l_keras.data.reviews import CLASS_NAMES, load_reviews

    texts, labels = load_reviews("train")
    test_texts, test_labels = load_reviews("test")
    test_texts, test_labels = [t[:MAX_CHARS] for t in test_texts[:NUM_TEST]], test_labels[:NUM_TEST]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(labels))
    train_texts = [texts[i][:MAX_CHARS] for i in order[:NUM_LABELS]]
    train_labels = labels[order[:NUM_LABELS]]
    majority = max(test_labels.mean(), 1 - test_labels.mean())
    print(f"{NUM_LABELS} labelled reviews, {train_labels.mean():.0%} '{CLASS_NAMES[1]}'; "
          f"majority-class accuracy on test: {majority:.3f}")
    print(train_texts[0])
    """),
    md("""
    ## 1. Linear probe on frozen features

    `linear_probe` embeds every review with the frozen backbone (mean of the LSTM states)
    and fits a logistic regression on the 100 labels. No gradient reaches the LSTM.
    """),
    code("""
    import rs3l_keras as rs3l

    probe = rs3l.linear_probe("lstm-lm-small", (train_texts, train_labels), (test_texts, test_labels),
                              pooling="mean")
    probe
    """),
    md("""
    ## 2. Fine-tune, and 3. the same network from scratch

    `finetune` copies the backbone (and tokenizer) of the preset, drops the language-model
    head and adds a fresh classification head; the result is a plain Keras model that reads
    raw strings. The pretrained arm uses ULMFiT's tools: discriminative learning rates
    (÷2.6 per layer group), a slanted triangular schedule and gradual unfreezing. The scratch
    arm is `load_pretrained(..., weights=False)`: the same architecture, random weights.
    """),
    code("""
    import math

    import keras


    def classifier(pretrained, texts, labels, epochs=EPOCHS, seed=0, batch_size=16, validation_data=None):
        keras.utils.set_random_seed(seed)
        source = rs3l.load_pretrained("lstm-lm-small", weights=pretrained)
        clf = rs3l.finetune(source, head="classification", num_classes=2, sequence_length=MAX_CHARS,
                            pooling="mean", dropout=0.2)
        callbacks = rs3l.compile_ulmfit(clf, 2e-3, epochs * math.ceil(len(labels) / batch_size),
                                        pretrained=pretrained)
        history = clf.fit(texts, labels, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0,
                          callbacks=callbacks, validation_data=validation_data)
        accuracy = clf.evaluate(test_texts, test_labels, batch_size=128, verbose=0, return_dict=True)["accuracy"]
        return clf, history, accuracy


    clf, history, pretrained_accuracy = classifier(True, train_texts, train_labels,
                                                   validation_data=(test_texts, test_labels))
    _, scratch_history, scratch_accuracy = classifier(False, train_texts, train_labels,
                                                      validation_data=(test_texts, test_labels))
    print(f"test accuracy with {NUM_LABELS} labels: probe {probe['accuracy']:.3f} | "
          f"fine-tuned {pretrained_accuracy:.3f} | scratch {scratch_accuracy:.3f} | majority {majority:.3f}")
    """),
    code("""
    # plot.* return matplotlib figures; this shows them below the cell
    %matplotlib inline
    from rs3l_keras import plot

    plot.training_curves(history, metrics=["loss", "accuracy"], title="fine-tuning lstm-lm-small")
    """),
    code("""
    plot.training_curves(scratch_history, metrics=["loss", "accuracy"], title="same network from scratch")
    """),
    md("""
    Read these numbers against the majority class: this task is hard for a character model
    trained on Shakespeare. Over three seeds (`benchmarks/RESULTS.md`) fine-tuning reached
    0.636 / 0.698 / 0.706 test accuracy with 100 / 500 / 1,000 labels, training from scratch
    0.458 / 0.666 / 0.564, and always answering "great" scores 0.658. Pretraining mostly buys
    stability: the scratch network often settles on the wrong side of the majority class.

    The fine-tuned model is a Keras model: `predict` takes raw strings.
    """),
    code("""
    examples = ["Absolutely delicious, my kids love these and I will order again!",
                "Stale and tasteless. The package arrived damaged."]
    for text, p in zip(examples, clf.predict(examples, verbose=0)[:, 0]):
        print(f"P(great) = {p:.2f}   {text}")
    """),
    md("""
    ## Label efficiency

    How accuracy grows with the number of labels, pretrained and from scratch (one seed here;
    `benchmarks/label_efficiency.py` runs three seeds and more budgets, and
    `benchmarks/RESULTS.md` records them).
    """),
    code("""
    runs = [{"arm": "pretrained fine-tune", "labels": NUM_LABELS, "seed": 0, "accuracy": pretrained_accuracy},
            {"arm": "scratch", "labels": NUM_LABELS, "seed": 0, "accuracy": scratch_accuracy}]
    for n, epochs in EPOCHS_FOR.items():
        if n == NUM_LABELS:
            continue  # measured above
        subset = ([texts[i][:MAX_CHARS] for i in order[:n]], labels[order[:n]])
        for arm, pretrained in (("pretrained fine-tune", True), ("scratch", False)):
            runs.append({"arm": arm, "labels": n, "seed": 0, "accuracy": classifier(pretrained, *subset, epochs)[2]})
    for run in sorted(runs, key=lambda r: (r["arm"], r["labels"])):
        print(f"{run['arm']:21s} {run['labels']:5d} labels: {run['accuracy']:.3f}")
    plot.label_efficiency({"runs": runs, "majority_rate": majority})
    """),
]

# ---------------------------------------------------------------------------------------------
NOTEBOOKS["04_timeseries_linear_probe"] = [
    md("""
    # Time series: self-supervised pretraining and a linear probe

    Trains a Contrastive Predictive Coding (CPC) encoder on unlabelled GunPoint series, then
    measures how linearly separable its embeddings are (the T-Loss / TS2Vec protocol) next to
    the `gru-cpc-ucr` preset, the same network with random weights, and published DTW-1NN.
    """),
    small("""
    DATASET = "GunPoint"           # any UCR/UEA set aeon ships: ItalyPowerDemand, ArrowHead, BasicMotions, ...
    PRETRAIN_EPOCHS = 3 if SMALL else 75   # 4 steps per epoch on GunPoint's 50 training series
    """),
    code("""
    # figures are shown below the cell that returns them
    %matplotlib inline
    from matplotlib.figure import Figure

    from rs3l_keras.data.series import PUBLISHED_ACCURACY, load_ucr

    x_train, y_train = load_ucr(DATASET, "train")
    x_test, y_test = load_ucr(DATASET, "test")
    print(f"{DATASET}: train {x_train.shape}, test {x_test.shape}, classes {sorted(set(y_train.tolist()))}")
    figure = Figure(figsize=(7, 2.5))
    ax = figure.subplots()
    for label, color in ((0, "tab:blue"), (1, "tab:orange")):
        ax.plot(x_train[y_train == label][:5, :, 0].T, color=color, alpha=0.6)
    ax.set_title(f"{DATASET}: five series of each class")
    figure
    """),
    md("""
    ## Self-supervised pretraining (no labels)

    CPC encodes each step with a causal convolution, summarises the past with a GRU (the
    backbone) and learns to pick the true future codes 1–4 steps ahead among the other
    series' and other steps' codes (InfoNCE). Only the training series are used, without
    their labels. The model normalises its input itself (fitted on the first `fit`).
    """),
    code("""
    import keras

    import rs3l_keras as rs3l
    from rs3l_keras import plot

    keras.utils.set_random_seed(0)
    cpc = rs3l.CPC(rs3l.RNNBackbone(input_dim=32, cell="gru", hidden_dim=64), channels=1,
                   prediction_steps=4, kernel_size=3, sequence_length=128)
    cpc.compile()
    history = cpc.fit(x_train, epochs=PRETRAIN_EPOCHS, batch_size=16, shuffle=True, seed=0, verbose=0)
    plot.training_curves(history, title="CPC on unlabelled GunPoint series")
    """),
    md("""
    ## Linear probe

    `linear_probe` embeds the series with the frozen encoder (mean of the GRU states), standardises
    the embeddings and fits a logistic regression on the training labels (its regularisation
    chosen by cross-validation on the training split only). Baselines: the `gru-cpc-ucr`
    preset (CPC on four pooled UCR training sets), the same network with random weights
    (its normaliser copied from the preset), and published DTW-1NN accuracy.
    """),
    code("""
    preset = rs3l.load_pretrained("gru-cpc-ucr")
    keras.utils.set_random_seed(0)  # random weights probe differently with each seed: fix it
    random_init = rs3l.load_pretrained("gru-cpc-ucr", weights=False)
    random_init.normalizer.set_weights(preset.normalizer.get_weights())
    results = {}
    for label, model in (("CPC trained here", cpc), ("gru-cpc-ucr preset", preset), ("random weights", random_init)):
        results[label] = rs3l.linear_probe(model, (x_train, y_train), (x_test, y_test), pooling="mean")
        print(f"{label:20s} test accuracy {results[label]['accuracy']:.3f}  (C = {results[label]['C']:g})")
    print(f"{'DTW-1NN (published)':20s} test accuracy {PUBLISHED_ACCURACY[DATASET]['dtw_1nn']:.3f}")
    """),
    md("""
    Random recurrent features are a strong baseline for this protocol (as in echo-state
    networks): `benchmarks/RESULTS.md` records the untrained network at 0.909 ± 0.025 on
    GunPoint over three seeds, against 0.953 ± 0.011 for CPC trained on GunPoint alone, and
    finds that on other sets CPC does not beat its random initialisation. Always keep that row.
    The preset's embeddings of the test series, projected to two dimensions:
    """),
    code("""
    embeddings = rs3l.embed(preset, x_test, pooling="mean")  # (150, 64)
    plot.embeddings_pca(embeddings, labels=y_test)
    """),
    md("""
    ## Clustering without labels

    `cluster` runs k-means on the standardised embeddings (and returns a PCA projection).
    The adjusted Rand index compares the clusters with the true classes (1 = identical, 0 = chance).
    """),
    code("""
    from sklearn.metrics import adjusted_rand_score

    for label, model in (("CPC trained here", cpc), ("gru-cpc-ucr preset", preset)):
        clusters, _ = rs3l.cluster(model, x_test, k=2, pooling="mean")
        print(f"{label:20s} adjusted Rand index {adjusted_rand_score(y_test, clusters):.3f}")
    """),
    md("""
    Clusters found without labels need not follow the classes: k-means groups the largest
    variations of the embeddings, which on GunPoint are not what separates "gun" from "point",
    while the linear probe, which is given the labels, finds the direction that does.

    To fine-tune the encoder end to end instead: `rs3l.finetune(preset, head="classification",
    num_classes=2)` then `fit(x_train, y_train)`; `benchmarks/ucr_finetune.py` compares probe,
    fine-tuning and training from scratch.
    """),
]

# ---------------------------------------------------------------------------------------------
NOTEBOOKS["05_anomaly_detection"] = [
    md("""
    # Anomaly detection with a recurrent autoencoder

    Scores every step of UCR anomaly series 135 (a heart-rate signal with one labelled anomaly)
    by how badly the `lstm-autoencoder-ucr135` preset reconstructs it, flags steps above the
    threshold stored with the model, and measures precision, recall and F1 against a rolling
    z-score; then fits a detector whose threshold is calibrated on normal steps it never trained on.
    """),
    small("""
    EPOCHS = 3 if SMALL else 30          # for the autoencoder trained here at the end
    WINDOW_STRIDE = 4 if SMALL else 1    # steps between its training windows
    """),
    code("""
    import numpy as np

    from rs3l_keras.data.series import load_kdd_tsad_135

    normal, _ = load_kdd_tsad_135("train")   # the first 1,200 steps: normal
    full, labels = load_kdd_tsad_135("test")  # the whole series, with the anomaly labelled
    start = len(normal)                       # the test part starts after the normal part
    anomaly = np.flatnonzero(labels)
    print(f"series of {len(full):,} steps; normal training part 0-{start - 1}; "
          f"labelled anomaly at steps {anomaly[0]}-{anomaly[-1]}")
    """),
    md("""
    ## Scores from the preset

    `anomaly_scores` slides 32-step windows over the series (stride 1), gives each step the
    mean squared reconstruction error of the windows covering it (`step_scores`), then averages
    those over a centred span of 8 steps (`ae.anomaly_smoothing`, a quarter of the window: the
    default, chosen by the anomaly benchmark; `score_smoothing=1` turns it off), so a range
    anomaly scores as a block. The preset's threshold is stored in the model (`detect(series)`
    applies it): `fit`'s default, peaks over threshold on the smoothed scores of the normal
    part's last 25%, which the preset never trained on (`ae.threshold_info`; the last section
    fits a detector the same way).
    """),
    code("""
    # plot.* return matplotlib figures; this shows them below the cell
    %matplotlib inline
    import rs3l_keras as rs3l
    from rs3l_keras import metrics, plot

    import keras

    ae = rs3l.load_pretrained("lstm-autoencoder-ucr135")
    threshold = ae.anomaly_threshold
    scores = ae.anomaly_scores(full)
    flagged = ae.detect(full)  # scores > threshold
    plot.anomaly_scores(full[:, 0], scores, threshold=threshold, anomalies=labels.astype(bool))
    """),
    md("""
    ## Metrics on the test part

    Point-wise precision, recall and F1 at the stored threshold; the best F1 over all
    thresholds (optimistic: it peeks at the labels); and the UCR archive's rule: does the
    highest score fall within 100 steps of the anomaly? The rolling z-score (|x − mean| / std
    over the previous 100 steps) gets the same calibration: the largest score of the normal
    part's last 25%. `benchmarks/RESULTS.md` compares both with isolation forest and the matrix
    profile on eight labelled series (six sources; the spliced UCR beats joined two ways).
    """),
    code("""
    def report(name, test_scores, threshold):
        prf = metrics.precision_recall_f1(labels[start:], test_scores > threshold)
        best = metrics.best_f1(labels[start:], test_scores)["f1"]
        hit = metrics.top1_hit(labels[start:], test_scores)
        print(f"{name:28s} precision {prf['precision']:.3f} recall {prf['recall']:.3f} F1 {prf['f1']:.3f} | "
              f"best F1 {best:.3f} | top-1 hit {hit}")


    zscore = metrics.rolling_zscore(full, window=100)
    report("autoencoder (stored)", scores[start:], threshold)
    report("rolling z-score (held out)", zscore[start:], zscore[900:start].max())
    recorded = rs3l.preset_metadata("lstm-autoencoder-ucr135")["metrics"]
    print(f"recorded for the preset: F1 {recorded['test_f1']:.3f}, best F1 {recorded['test_best_f1']:.3f}")
    """),
    md("""
    ## What the autoencoder sees

    Reconstructions (in the original units) of windows from the normal part and around the
    labelled anomaly, which it reconstructs worst.
    """),
    code("""
    peak = int(np.argmax(scores[start:])) + start
    window = ae.sequence_length
    starts = [200, 700, anomaly[0] - window // 2, peak - window // 2]
    windows = np.stack([full[s:s + window] for s in starts])
    plot.reconstructions(windows, ae.reconstruct(windows), n=4,
                         title="two normal windows, the labelled anomaly, the highest score")
    """),
    md("""
    ## Train your own detector

    The same recipe on your own normal data: `fit` a `SequenceAutoencoder` on the normal part; it
    keeps the last 25% out of training and sets the threshold from its scores pooled with the
    training steps' (`holdout=`, `threshold_rule=`, default `"pot_pooled"`).
    `detect(series, contamination=0.002)` flags a share of steps instead.
    (`benchmarks/anomaly.py` runs this protocol on eight labelled series.)
    """),
    code("""
    keras.utils.set_random_seed(0)
    mine = rs3l.SequenceAutoencoder(rs3l.RNNBackbone(input_dim=1, hidden_dim=64), code_dim=16,
                                    sequence_length=32, window_stride=WINDOW_STRIDE)
    mine.compile(optimizer=keras.optimizers.Adam(3e-3, global_clipnorm=1.0))
    history = mine.fit(normal, epochs=EPOCHS, batch_size=32, seed=0, verbose=0)
    print(mine.threshold_info)
    report("autoencoder trained here", mine.anomaly_scores(full)[start:], mine.anomaly_threshold)
    print("top 0.2% of the test steps:", np.flatnonzero(mine.detect(full[start:], contamination=0.002)) + start)
    plot.training_curves(history, title="SequenceAutoencoder on the normal part")
    """),
]

# ---------------------------------------------------------------------------------------------
NOTEBOOKS["06_forecasting_intervals"] = [
    md("""
    # Forecasting with prediction intervals

    Forecasts four weeks of half-hourly electricity demand with the `lstm-forecaster-elecdemand`
    preset (temperature and working days as known-future inputs), with 90% intervals; trains a
    small `Forecaster` on the airline passengers; scores both with sMAPE and MASE against seasonal naive.
    """),
    small("""
    AIRLINE_EPOCHS = 5 if SMALL else 60   # training epochs of the airline forecaster
    """),
    md("""
    ## Electricity demand, 4 weeks ahead

    Columns: demand (GW, the target), working day (0/1) and temperature (°C). The model reads
    up to the last week of history and the future covariates, and forecasts 1,344 half-hours
    in one pass (a Gaussian per step: mean and σ).
    """),
    code("""
    # plot.* return matplotlib figures; this shows them below the cell
    %matplotlib inline
    import rs3l_keras as rs3l
    from rs3l_keras import metrics, plot
    from rs3l_keras.data.series import load_elecdemand

    values = load_elecdemand()                 # (17520, 3)
    fc = rs3l.load_pretrained("lstm-forecaster-elecdemand")
    horizon = fc.horizon                       # 1344 = 4 weeks of half-hours
    history, future = values[:-horizon], values[-horizon:]
    out = fc.forecast(history, covariates=future[:, fc.covariate_channels], interval=0.9)
    {key: array.shape for key, array in out.items()}
    """),
    code("""
    plot.forecast(history[-2 * 336:, 0], out["mean"][:, 0], truth=future[:, 0],
                  lower=out["lower"][:, 0], upper=out["upper"][:, 0], title="Victorian electricity demand (GW)")
    """),
    md("""
    sMAPE (%) and MASE (scaled by the in-sample seasonal naive error at one day, m = 48) against the
    seasonal naive forecasts that repeat the last day or the last week, and the share of actual
    values inside the 90% interval.
    """),
    code("""
    import numpy as np


    def scores(truth, prediction, train, season):
        return (f"sMAPE {metrics.smape(truth, prediction):6.2f}   "
                f"MASE {metrics.mase(truth, prediction, train, season):.3f}")


    y, train_y = future[:, 0], history[:, 0]
    print(f"{'Forecaster (preset)':28s}", scores(y, out["mean"][:, 0], train_y, 48))
    for m, name in ((48, "last day"), (336, "last week")):
        print(f"{'seasonal naive, ' + name:28s}", scores(y, metrics.seasonal_naive(train_y, horizon, m), train_y, 48))
    inside = np.mean((y >= out["lower"][:, 0]) & (y <= out["upper"][:, 0]))
    print(f"90% interval coverage: {inside:.1%}")
    """),
    md("""
    ## Train your own: airline passengers

    Monthly totals 1949–1960; the last 36 months are held out. A small LSTM encoder–decoder
    with a Gaussian head; its decoder starts from the seasonal naive forecast (season 12) and
    learns a correction. `instance_normalization="location"` subtracts each window's mean so
    the trend extrapolates (see `benchmarks/forecasting.py`).
    """),
    code("""
    import keras

    from rs3l_keras.data.series import load_airline

    passengers = load_airline()                # (144, 1)
    train, test = passengers[:-36], passengers[-36:]
    keras.utils.set_random_seed(0)
    airline = rs3l.Forecaster(rs3l.RNNBackbone(input_dim=1, hidden_dim=16), horizon=36, sequence_length=36,
                              season=12, instance_normalization="location", window_stride=1)
    airline.compile(optimizer=keras.optimizers.Adam(3e-3, global_clipnorm=1.0))
    fit = airline.fit(train, epochs=AIRLINE_EPOCHS, batch_size=16, seed=0, verbose=0)
    prediction = airline.forecast(train, horizon=36, interval=0.9, quantiles=[0.1, 0.5, 0.9])
    print(f"{'Forecaster':24s}", scores(test[:, 0], prediction["mean"][:, 0], train[:, 0], 12))
    for m, name in ((1, "naive"), (12, "seasonal naive (m=12)")):
        print(f"{name:24s}", scores(test[:, 0], metrics.seasonal_naive(train[:, 0], 36, m), train[:, 0], 12))
    """),
    code("""
    plot.forecast(train[:, 0], prediction["mean"][:, 0], truth=test[:, 0], lower=prediction["lower"][:, 0],
                  upper=prediction["upper"][:, 0], title="airline passengers (thousands)")
    """),
    code("""
    plot.training_curves(fit, title="Forecaster on airline (Gaussian NLL)")
    """),
    md("""
    `forecast` also returns quantiles of the Gaussians (`quantiles=[...]`, shape
    `(horizon, targets, quantiles)`) and accepts a batch of histories of unequal lengths.
    """),
    code("""
    prediction["quantiles"][:3, 0]  # first 3 months: 10%, 50%, 90% quantiles
    """),
]

# ---------------------------------------------------------------------------------------------
NOTEBOOKS["07_sampling_vae_gan"] = [
    md("""
    # Sampling from a sequence VAE and a recurrent GAN

    Draws lines of verse from the latent space of `lstm-vae-small` and walks between two lines;
    then samples 5-channel sine series from `gru-gan-sines` and scores them against real ones
    with TimeGAN's discriminative and predictive scores.
    """),
    small("""
    NUM_SERIES = 500 if SMALL else 10_000            # real and generated series for the scores
    DISCRIMINATOR_ITERATIONS = 200 if SMALL else 2000  # TimeGAN's settings: 2,000 and 5,000
    PREDICTOR_ITERATIONS = 200 if SMALL else 5000
    """),
    md("""
    ## The sequence VAE

    An LSTM encoder maps a line to a 32-d Gaussian posterior; an LSTM decoder reads a code z and
    writes a line. Sampling decodes z ~ N(0, I); temperature 0 decodes greedily.
    """),
    code("""
    import rs3l_keras as rs3l

    vae = rs3l.load_pretrained("lstm-vae-small")
    for line in vae.sample(5, temperature=0.7, seed=0):
        print(line)
    """),
    md("""
    Encoding lines to their posterior means and decoding them greedily shows what the code
    holds. Its KL term is about 3 nats per line (`heldout_kl` in the preset's metadata): enough
    for the kind of line (a speaker's name, a scene heading, verse) and little of its words,
    the usual trade-off of text VAEs with a strong recurrent decoder (Bowman et al., 2016).
    """),
    code("""
    lines = ["KING HENRY", "SCENE II. A room in the castle.", "Good night, sweet prince"]
    z = vae.encode(lines)  # (3, 32) posterior means
    for line, decoded in zip(lines, vae.decode(z)):
        print(f"{line!r:36} -> {decoded!r}")
    print("KL per line on held-out text:", round(rs3l.preset_metadata("lstm-vae-small")["metrics"]["heldout_kl"], 2))
    """),
    md("""
    Walking in a straight line between the codes of two lines (greedy decoding at each point):
    """),
    code("""
    import numpy as np

    path = vae.interpolate("HAMLET", "O, what a noble mind is here o'erthrown!", steps=6)
    for t, line in zip(np.linspace(0, 1, len(path)), path):
        print(f"{t:.1f}  {line}")
    """),
    md("""
    ## The recurrent GAN

    A GRU generator turns per-step and per-series noise into series; it was trained against a
    GRU discriminator (plus matching of moments) on TimeGAN's sines: 5 channels of
    sin(f·t + φ) in [0, 1], length 24.
    """),
    code("""
    # plot.* return matplotlib figures; this shows them below the cell
    %matplotlib inline
    from rs3l_keras import plot
    from rs3l_keras.data.series import make_sines

    gan = rs3l.load_pretrained("gru-gan-sines")
    generated = gan.sample(NUM_SERIES, seed=0)      # (n, 24, 5)
    real = make_sines(NUM_SERIES, seed=7)
    print(f"real mean {real.mean():.3f} std {real.std():.3f} | generated mean {generated.mean():.3f} "
          f"std {generated.std():.3f}")
    plot.samples_vs_real(real, generated, n=4)
    """),
    md("""
    ## TimeGAN's scores

    * **Discriminative**: a post-hoc GRU classifier learns real vs generated on 80% of each and
      is tested on the rest; score = |accuracy − 0.5| (0: indistinguishable).
    * **Predictive** ("train on synthetic, test on real"): a GRU trained on generated series to
      predict the last channel one step ahead; score = its MAE on real series, next to the
      same predictor trained on real series.

    Lower is better for both. The small settings of CI give rough numbers; the paper's settings
    are the defaults (`benchmarks/gan_sines.py`, `benchmarks/RESULTS.md`).
    """),
    code("""
    from rs3l_keras.evaluation import discriminative_score, predictive_score

    other_real = make_sines(NUM_SERIES, seed=8)
    disc = discriminative_score(real, generated, iterations=DISCRIMINATOR_ITERATIONS, seed=0)
    pred = predictive_score(generated, real, iterations=PREDICTOR_ITERATIONS, seed=0)
    reference = predictive_score(other_real, real, iterations=PREDICTOR_ITERATIONS, seed=0)
    recorded = rs3l.preset_metadata("gru-gan-sines")["metrics"]
    print(f"discriminative score {disc['score']:.3f} (recorded with TimeGAN's settings: "
          f"{recorded['discriminative_score']:.3f})")
    print(f"predictive MAE: trained on generated {pred['score']:.3f} | trained on real {reference['score']:.3f}")
    """),
]


# ---------------------------------------------------------------------------------------------
NOTEBOOKS["08_publish_export_stream"] = [
    md("""
    # Publish, install, export and stream a recurrent model

    Where a preset comes from (the checkout, the installed `rs3l-keras-zoo` wheel, a Hugging Face
    handle), how a model leaves Python (SavedModel, ONNX, LiteRT, checked in their own runtimes),
    and how it runs step by step on a live stream in constant time per step.
    """),
    small("""
    os.environ["KERAS_BACKEND"] = "tensorflow"  # rs3l.export converts through TensorFlow: set before Keras loads
    STEPS = 40 if SMALL else 400     # characters generated step by step
    WINDOW = 128 if SMALL else 2048  # the window a stateless server would re-run per step
    """),
    md("""
    ## Install and publish

    `make dist` writes the code wheel and the zoo wheel (every registered preset, verified against
    its pin); `pip install dist/*.whl` anywhere then loads every preset offline. Presets are looked
    for in these folders, in order:
    """),
    code("""
    import rs3l_keras as rs3l
    from rs3l_keras.zoo import hub

    for folder in hub.zoo_directories():
        print(folder)
    print(rs3l.list_models())
    """),
    md("""
    A preset folder is published to the Hugging Face Hub with `upload_preset` (verified first) and
    loaded back by its handle, with the same sha256 checks. This needs a token and the network, so
    it only runs when `HF_TOKEN` and `RS3L_NOTEBOOK_HF_REPO` (e.g. `you/my-preset`) are set.
    """),
    code("""
    import os

    repo = os.environ.get("RS3L_NOTEBOOK_HF_REPO")
    if os.environ.get("HF_TOKEN") and repo:
        folder = hub.resolve_preset("gru-cpc-ucr")[0]
        rs3l.upload_preset(f"hf://{repo}", folder)
        print(rs3l.load_pretrained(f"hf://{repo}"))
    else:
        print("skipped: set HF_TOKEN and RS3L_NOTEBOOK_HF_REPO to publish")
    """),
    md("""
    ## Export

    The electricity-demand forecaster as ONNX and LiteRT. The graphs take the raw history and the
    known future covariates (NaN where a value is to be forecast) and answer in gigawatts; each is
    run in its own runtime by `load_exported` and compared with Keras.
    """),
    code("""
    import tempfile

    import keras
    import numpy as np

    from rs3l_keras.data.series import load_elecdemand
    from rs3l_keras.serving import serving_model

    forecaster = rs3l.load_pretrained("lstm-forecaster-elecdemand")
    series = load_elecdemand()  # (17520, 3): demand (GW), working day, temperature, half-hourly
    history = series[None, -forecaster.sequence_length - forecaster.horizon : -forecaster.horizon]
    future = series[None, -forecaster.horizon :].copy()
    future[..., forecaster.target_channels] = np.nan
    inputs = {"history": history.astype("float32"), "future": future.astype("float32")}
    expected = keras.ops.convert_to_numpy(serving_model(forecaster)(inputs)["mean"])
    folder = tempfile.mkdtemp()
    for fmt in ("onnx", "litert"):
        run = rs3l.load_exported(rs3l.export(forecaster, f"{folder}/{fmt}", format=fmt))
        got = run(**inputs)["mean"]
        print(f"{fmt:7s} max |runtime - Keras| = {np.abs(got - expected).max():.2e} GW "
              f"(forecasts around {expected.mean():.2f} GW)")
    """),
    md("""
    ## Stream

    `Streamer` keeps the LSTM's state between calls: each new character costs one cell update,
    however much text came before. Greedy generation, one step at a time, timed against re-running
    the whole window per step as a stateless server would.
    """),
    code("""
    import time

    lm = rs3l.load_pretrained("lstm-lm-small")
    stream = rs3l.Streamer(lm)
    probs = stream.feed("ROMEO.\\n")[-1]
    text, start = "", time.perf_counter()
    for _ in range(STEPS):
        token = int(np.argmax(probs))
        text += lm.tokenizer.decode([token])
        probs = stream.step(token)
    per_step = (time.perf_counter() - start) / STEPS
    window = np.ones((1, WINDOW), "int32")
    lm.predict_on_batch(window)
    start = time.perf_counter()
    lm.predict_on_batch(window)
    rerun = time.perf_counter() - start
    print(repr(text))
    print(f"streaming: {per_step * 1e3:.2f} ms per step; re-running a {WINDOW}-step window: {rerun * 1e3:.1f} ms")
    """),
    md("""
    ## One step as a graph

    `Streamer.export` writes a single step with the state as explicit inputs and outputs: a loop
    in any runtime (here the LiteRT interpreter, as on a phone) feeds each step's `next_*` back in.
    It reproduces the Keras stream.
    """),
    code("""
    run = rs3l.load_exported(stream.export(f"{folder}/lm-step", format="litert"))
    names = stream.state_names()
    states = dict(zip(names, stream.initial_states(1)))
    ids = lm.tokenizer.encode("ROMEO.\\n" + text)
    lite = []
    for token in ids:
        out = run(x=np.array([token], "int32"), **states)
        states = {name: out[f"next_{name}"] for name in names}
        lite.append(out["probabilities"][0])
    stream.reset()
    print("max |LiteRT - Keras| over", len(ids), "steps:", np.abs(np.stack(lite) - stream.feed(ids)).max())
    """),
]


def build(name, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "accelerator": "GPU",  # Colab opens the notebook on a GPU runtime
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    header = [cells[0], ("code", INSTALL), ("markdown", GPU_NOTE)]
    for i, (kind, source) in enumerate(header + cells[1:]):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source, id=f"{name[:2]}-{i:02d}")
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def write_all(check=False):
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(name, cells)) + "\n"
        path = HERE / f"{name}.ipynb"
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the notebooks are up to date")
    args = parser.parse_args(argv)
    stale = write_all(check=args.check)
    if stale:
        print("out of date (run python notebooks/build_notebooks.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
