"""Random-weights baseline for the UCR linear probe: the CPC architecture of `rs3l_keras.evaluation.ucr_probe`,
untrained (normaliser fitted on the train split), probed exactly like the pretrained models.
`--objective cpc+contrastive`: both architectures untrained, embeddings side by side (the
control for the concatenated pretrained pair: as many features, no training).

    python benchmarks/ucr_probe_random.py      # writes benchmarks/ucr_probe_random.json (~2 min)
    python benchmarks/ucr_probe_random.py --pooling last+mean+max --output benchmarks/ucr_probe_random_lmm.json
    python benchmarks/ucr_probe_random.py --objective cpc+contrastive --pooling last+mean+max \
        --output benchmarks/ucr_probe_random_pair_lmm.json
"""

import argparse
import json
import pathlib

import numpy as np

from rs3l_keras.data import series as sd
from rs3l_keras.evaluation.ucr_probe import build, probe
from rs3l_keras.finetune.probes import POOLINGS

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--objective", choices=("cpc", "cpc+contrastive"), default="cpc")
parser.add_argument("--pooling", default="auto", choices=("auto", *POOLINGS))
parser.add_argument("--cv-repeats", type=int, default=1, help="as in ucr_probe.py")
parser.add_argument("--output", default=str(pathlib.Path(__file__).parent / "ucr_probe_random.json"))
args = parser.parse_args()
out = {}
for name in ("ItalyPowerDemand", "GunPoint", "BasicMotions", "JapaneseVowels", "ArrowHead"):
    x, y = sd.load_ucr(name, "train")
    xt, yt = sd.load_ucr(name, "test")
    accs = []
    for seed in (0, 1, 2):
        model = [build(part, x[0].shape[-1], 64, seed) for part in args.objective.split("+")]  # untrained
        for m in model:
            m.adapt(x)
        model = model[0] if len(model) == 1 else model
        accs.append(probe(model, (x, y), (xt, yt), args.pooling, seed, cv_repeats=args.cv_repeats)[0])
    out[name] = accs
    print(name, [round(a, 3) for a in accs], f"{np.mean(accs):.3f} ± {np.std(accs):.3f}", flush=True)
pathlib.Path(args.output).write_text(json.dumps(out, indent=1))
