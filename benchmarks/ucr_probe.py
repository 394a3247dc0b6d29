"""UCR/UEA linear-probe benchmark of the self-supervised series objectives: the protocol lives in
`rs3l_keras.evaluation.ucr_probe` (read its docstring); this script only runs it.

    python benchmarks/ucr_probe.py --objective cpc --seeds 0 1 2 --output benchmarks/ucr_probe_cpc.json
    python benchmarks/ucr_probe.py --objective cpc --preset zoo/gru-cpc-ucr   # pooled univariate preset
    python benchmarks/ucr_probe.py --select benchmarks/ucr_probe_cpc.json benchmarks/ucr_probe_contrastive.json \
        --output benchmarks/ucr_probe_selected.json   # objective per dataset and seed by train CV
"""

import sys

from rs3l_keras.evaluation.ucr_probe import main

if __name__ == "__main__":
    sys.exit(main())
