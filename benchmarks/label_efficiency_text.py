"""Text label efficiency with the general English LM (issue 16): the protocol, the tasks and
the arms live in `rs3l_keras.evaluation.label_efficiency` (read its docstring); this script
only runs it and prints the tables.

    python benchmarks/label_efficiency_text.py                      # every task, budget, seed and arm
    python benchmarks/label_efficiency_text.py --arms pretrained scratch --tasks fine_food
    python benchmarks/label_efficiency_text.py --summary            # the tables of the recorded JSON
"""

import sys

from rs3l_keras.evaluation.label_efficiency import main

if __name__ == "__main__":
    sys.exit(main())
