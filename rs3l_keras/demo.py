"""`make demo`: list the zoo, load `lstm-lm-small` (sha256-verified, offline), recompute its
held-out bits/char on the four held-out plays, print a generated sample, show what the other
presets do, then fine-tune: `lstm-lm-small` on 100 labelled reviews against the same model
from scratch, the `gru-ts-general` series encoder against its untrained twin on a held-out UCR set, and a
zero-shot forecast by `lstm-forecaster-global` against seasonal naive."""

import math
import time

import keras
import numpy as np

from rs3l_keras.data import shakespeare
from rs3l_keras.zoo import hub


def main():
    print("Presets in the zoo (every file verified by sha256 on load):")
    for name in hub.list_models():
        meta = hub.preset_metadata(name)
        headline = meta.get("headline_metric")
        print(
            f"  {name:22s} {meta['objective']:20s} {meta['num_parameters']:>10,} params   "
            f"{headline} = {meta['metrics'].get(headline, float('nan')):.4f}"
        )

    name = "lstm-lm-small"
    start = time.time()
    lm = hub.load_pretrained(name)
    meta = hub.preset_metadata(name)
    print(
        f"\nLoaded {name} in {time.time() - start:.1f}s. Recorded held-out bits/char: "
        f"{meta['metrics']['heldout_bits_per_char']:.4f}"
    )
    print("Recomputing on the held-out plays (" + ", ".join(shakespeare.HELD_OUT_PLAYS) + ") ...")
    start = time.time()
    scored = lm.score_text(shakespeare.load_text("test"))
    print(
        f"Held-out bits/char: {scored['bits_per_char']:.4f} over {scored['num_chars']:,} characters "
        f"({time.time() - start:.0f}s)"
    )
    print("\nSample (temperature 0.8, top-k 20, seed 0):\n")
    print(lm.generate("ROMEO.\n", max_length=300, temperature=0.8, top_k=20, seed=0))

    names = set(hub.list_models())
    if "bilstm-mlm-small" in names:
        mlm = hub.load_pretrained("bilstm-mlm-small")
        print(
            "\nbilstm-mlm-small fills the gaps:",
            repr(mlm.fill_mask("To be, or n<mask>t to be: th<mask>t is the question")),
        )
    if "lstm-seq2seq-small" in names:
        s2s = hub.load_pretrained("lstm-seq2seq-small")
        noisy = "Now is the wintr of our discontent"
        print(f"lstm-seq2seq-small restores {noisy!r} -> {s2s.generate(noisy, beam_width=3)!r}")
    if "lstm-vae-small" in names:
        vae = hub.load_pretrained("lstm-vae-small")
        print("lstm-vae-small samples from its prior:")
        for line in vae.sample(3, temperature=0.7, seed=0):
            print("   ", line)
    finetune_demo(names)


def _review_classifier(source, texts, labels, test, seed=0, epochs=8, batch_size=16):
    """ULMFiT-style fine-tuning (the `benchmarks/label_efficiency.py` set-up, pretrained arm)
    or the same architecture and schedule from scratch."""
    import rs3l_keras as rs3l

    keras.utils.set_random_seed(seed)
    pretrained = source is not None
    if source is None:  # same architecture and tokenizer, random weights
        source = hub.load_pretrained("lstm-lm-small", weights=False)
    clf = rs3l.finetune(source, head="classification", num_classes=2, sequence_length=192, pooling="mean", dropout=0.2)
    callbacks = rs3l.compile_ulmfit(clf, 2e-3, epochs * math.ceil(len(labels) / batch_size), pretrained=pretrained)
    clf.fit(texts, labels, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0, callbacks=callbacks)
    return float(((clf.predict(test[0], batch_size=128, verbose=0)[:, 0] > 0.5) == test[1]).mean())


def finetune_demo(names):
    import rs3l_keras as rs3l
    from rs3l_keras.data.reviews import load_reviews

    print("\nFine-tuning lstm-lm-small on 100 labelled Amazon fine-food reviews (great vs other) ...")
    texts, labels = load_reviews("train")
    test_texts, test_labels = load_reviews("test")
    rng = np.random.default_rng(0)
    idx = rng.choice(len(labels), 100, replace=False)
    cut = lambda items: [t[:192] for t in items]  # noqa: E731
    test = (cut(test_texts[:500]), test_labels[:500])
    start = time.time()
    lm = hub.load_pretrained("lstm-lm-small")
    pre = _review_classifier(lm, cut([texts[i] for i in idx]), labels[idx], test)
    scratch = _review_classifier(None, cut([texts[i] for i in idx]), labels[idx], test)
    majority = max(test[1].mean(), 1 - test[1].mean())
    print(
        f"  test accuracy on 500 reviews: pretrained {pre:.3f} | scratch {scratch:.3f} | "
        f"majority class {majority:.3f}   ({time.time() - start:.0f}s)"
    )
    print("  (benchmarks/RESULTS.md has the full label-efficiency table: 5 budgets, 3 seeds)")

    if "gru-ts-general" in names:
        name = "ECG200"  # a held-out set: never seen in pretraining, 100 train / 100 test series
        print(
            f"\nLinear probe on {name} (held out of pretraining) with gru-ts-general vs the same network untrained ..."
        )
        train, test = rs3l.datasets.load(name, "train"), rs3l.datasets.load(name, "test")
        encoder = hub.load_pretrained("gru-ts-general")
        untrained = hub.load_pretrained("gru-ts-general", weights=False)  # per-series scaling: no statistics
        recorded = hub.preset_metadata("gru-ts-general")["metrics"]
        for label, model in (("pretrained", encoder), ("untrained weights", untrained)):
            result = rs3l.linear_probe(model, train, test, verbose=0)  # the default protocol, as recorded
            print(f"  {label:17s} test accuracy {result['accuracy']:.3f}")
        print(
            f"  (recorded over 12 held-out UCR sets: {recorded['mean_probe_accuracy_12']:.3f} pretrained vs "
            f"{recorded['mean_untrained_probe_accuracy_12']:.3f} untrained; table in `rs3l info gru-ts-general`)"
        )

    if "lstm-forecaster-global" in names:
        from rs3l_keras.evaluation import forecasting

        print(
            "\nZero-shot forecast of the airline series (last 36 months) by lstm-forecaster-global, never trained on it ..."
        )
        train, test = forecasting.split("airline")
        zero_shot = forecasting.evaluate_series(hub.load_pretrained("lstm-forecaster-global"), "airline", train, test)
        naive = forecasting.baselines("airline", train, test)["seasonal naive (m=12)"]
        print(
            f"  MASE {zero_shot['mase']:.3f} (90% interval coverage {zero_shot['coverage_90']:.2f}) | "
            f"seasonal naive {naive['mase']:.3f}   (M3/Tourism table: `rs3l info lstm-forecaster-global`)"
        )


if __name__ == "__main__":
    import argparse
    import sys

    from rs3l_keras import backends

    parser = argparse.ArgumentParser(prog="python -m rs3l_keras.demo", description=__doc__)
    parser.add_argument("--backend", choices=list(backends.CHOICES), default="auto", help="as `rs3l --backend`")
    print(backends.announcement(*backends.select(parser.parse_args().backend)), file=sys.stderr)
    main()
