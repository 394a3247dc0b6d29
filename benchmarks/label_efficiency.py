"""Label efficiency on Amazon fine-food reviews (ULMFiT recipe with `lstm-lm-small`): the protocol
lives in `rs3l_keras.evaluation.reviews` (read its docstring); this script only runs it.

    python benchmarks/label_efficiency.py                 # full run (about 1 h on 2 CPU cores)
    python benchmarks/label_efficiency.py --budgets 100 --seeds 0 --finetune-budgets 100 --scratch-budgets 100
    python benchmarks/label_efficiency.py --replot        # table and plot from the recorded JSON only
"""

import sys

from rs3l_keras.evaluation.reviews import main

if __name__ == "__main__":
    sys.exit(main())
