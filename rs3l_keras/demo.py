"""`make demo`: list the zoo, load `lstm-lm-small` (sha256-verified, offline), recompute its
held-out bits/char on the four held-out plays, print a generated sample, then show what the
other text presets do."""

import time

from rs3l_keras.data import shakespeare
from rs3l_keras.zoo import hub


def main():
    print("Presets in the zoo (every file verified by sha256 on load):")
    for name in hub.list_models():
        meta = hub.preset_metadata(name)
        headline = meta.get("headline_metric")
        print(f"  {name:22s} {meta['objective']:20s} {meta['num_parameters']:>10,} params   "
              f"{headline} = {meta['metrics'].get(headline, float('nan')):.4f}")

    name = "lstm-lm-small"
    start = time.time()
    lm = hub.load_pretrained(name)
    meta = hub.preset_metadata(name)
    print(f"\nLoaded {name} in {time.time() - start:.1f}s. Recorded held-out bits/char: "
          f"{meta['metrics']['heldout_bits_per_char']:.4f}")
    print("Recomputing on the held-out plays (" + ", ".join(shakespeare.HELD_OUT_PLAYS) + ") ...")
    start = time.time()
    scored = lm.score_text(shakespeare.load_text("test"))
    print(f"Held-out bits/char: {scored['bits_per_char']:.4f} over {scored['num_chars']:,} characters "
          f"({time.time() - start:.0f}s)")
    print("\nSample (temperature 0.8, top-k 20, seed 0):\n")
    print(lm.generate("ROMEO.\n", max_length=300, temperature=0.8, top_k=20, seed=0))

    names = set(hub.list_models())
    if "bilstm-mlm-small" in names:
        mlm = hub.load_pretrained("bilstm-mlm-small")
        print("\nbilstm-mlm-small fills the gaps:", repr(mlm.fill_mask("To be, or n<mask>t to be: th<mask>t is the question")))
    if "lstm-seq2seq-small" in names:
        s2s = hub.load_pretrained("lstm-seq2seq-small")
        noisy = "Now is the wintr of our discontent"
        print(f"lstm-seq2seq-small restores {noisy!r} -> {s2s.generate(noisy, beam_width=3)!r}")
    if "lstm-vae-small" in names:
        vae = hub.load_pretrained("lstm-vae-small")
        print("lstm-vae-small samples from its prior:")
        for line in vae.sample(3, temperature=0.7, seed=0):
            print("   ", line)


if __name__ == "__main__":
    main()
