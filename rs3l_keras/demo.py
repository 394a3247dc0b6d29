"""`make demo`: list the zoo, load `lstm-lm-small` (sha256-verified, offline), recompute its
held-out bits/char on the four held-out plays, and print a generated sample."""

import time

from rs3l_keras.data import shakespeare
from rs3l_keras.zoo import hub


def main():
    print("Presets in the zoo:")
    for name in hub.list_models():
        print("  ", name)
    name = "lstm-lm-small"
    start = time.time()
    lm = hub.load_pretrained(name)
    meta = hub.preset_metadata(name)
    print(f"\nLoaded {name} ({meta['num_parameters']:,} parameters), every file verified by "
          f"sha256, in {time.time() - start:.1f}s.")
    recorded = meta["metrics"]["heldout_bits_per_char"]
    print(f"Recorded held-out bits/char: {recorded:.4f}")
    print("Recomputing on the held-out plays (" + ", ".join(shakespeare.HELD_OUT_PLAYS) + ") ...")
    start = time.time()
    scored = lm.score_text(shakespeare.load_text("test"))
    print(f"Held-out bits/char: {scored['bits_per_char']:.4f} over {scored['num_chars']:,} characters "
          f"({time.time() - start:.0f}s)")
    print("\nSample (temperature 0.8, top-k 20, seed 0):\n")
    print(lm.generate("ROMEO.\n", max_length=300, temperature=0.8, top_k=20, seed=0))


if __name__ == "__main__":
    main()
