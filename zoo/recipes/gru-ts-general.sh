#!/usr/bin/env bash
# Reproduces the `gru-ts-general` preset: a univariate GRU 1x128 series encoder pretrained on
# the TRAIN splits of 72 UCR archive sets (17,059 unlabelled series; the 12 benchmark sets, the
# 3 univariate sets of the earlier probe results and their siblings are left out entirely;
# no TEST file is read). Steps (see zoo/recipes/gru_ts_general.py):
#   1. select: CPC and NT-Xent, 7 minutes each, scored by the default probe's train-split CV
#      accuracy on 8 other sets against their untrained twins (no test split is read);
#   2. train: the chosen objective, random windows of <= 256 steps, cosine-decayed Adam,
#      a checkpoint after every epoch (rerun with --resume after an interruption);
#   3. benchmark: the 12 + 5 set benchmark (3 seeds; untrained twin and raw-series LR in the
#      same run; published 1NN-DTW/ROCKET/ResNet/InceptionTime), two processes, one file per set;
#   4. save: the preset with its numbers and the benchmark table in its model card.
# Torch backend (PyTorch's fused GRU kernel), one thread: about 2 hours on this 2-core CPU
# beside other work. `pip install torch` first (the recipe sets KERAS_BACKEND=torch).
#   bash zoo/recipes/gru-ts-general.sh [OUTPUT_DIR]
set -euo pipefail
out="${1:-zoo/gru-ts-general}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
python zoo/recipes/gru_ts_general.py select --minutes 7
python zoo/recipes/gru_ts_general.py train --epochs "${EPOCHS:-8}" --resume
python zoo/recipes/gru_ts_general.py benchmark --part 0 --parts 2 &
python zoo/recipes/gru_ts_general.py benchmark --part 1 --parts 2
wait
python zoo/recipes/gru_ts_general.py save --output "$out"
