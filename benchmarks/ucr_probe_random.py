"""Random-weights baseline for the UCR linear probe: the CPC architecture of `ucr_probe.py`,
untrained (normaliser fitted on the train split), probed exactly like the pretrained models.

    python benchmarks/ucr_probe_random.py      # writes benchmarks/ucr_probe_random.json (~2 min)
"""
import sys, json, numpy as np
import pathlib
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ucr_probe import build, probe
from rs3l_keras.data import series as sd
out = {}
for name in ("ItalyPowerDemand", "GunPoint", "BasicMotions", "JapaneseVowels", "ArrowHead"):
    x, y = sd.load_ucr(name, "train"); xt, yt = sd.load_ucr(name, "test")
    accs = []
    for seed in (0, 1, 2):
        model = build("cpc", x[0].shape[-1], 64, seed)  # same architecture, untrained
        model.adapt(x)
        accs.append(probe(model, (x, y), (xt, yt), "auto", seed)[0])
    out[name] = accs
    print(name, [round(a, 3) for a in accs], f"{np.mean(accs):.3f} ± {np.std(accs):.3f}", flush=True)
json.dump(out, open("benchmarks/ucr_probe_random.json", "w"), indent=1)
