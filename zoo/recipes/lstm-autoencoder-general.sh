#!/usr/bin/env bash
# Reproduces `lstm-autoencoder-general` (not a registered preset: its anomaly-benchmark arms showed
# no gain over the same network from scratch; benchmarks/RESULTS.md): a window-normalised LSTM sequence autoencoder
# (1x64 encoder and decoder, 16-d code) pretrained on the TRAIN splits of the UCR archive without
# the held-out sets (zoo/recipes/lstm_autoencoder_general.py says which). 20,000 steps of 64
# windows, about 14 minutes on two CPU cores (torch backend, fused LSTM). Checkpointed after
# every chunk of 250 steps: rerun with --resume after an interruption.
# Then the benchmark's arms read it from runs/lstm-autoencoder-general/preset.
#   bash zoo/recipes/lstm-autoencoder-general.sh [OUTPUT_DIR] [--resume]
set -euo pipefail
export KERAS_BACKEND=torch OMP_NUM_THREADS=2
python zoo/recipes/lstm_autoencoder_general.py --output "${1:-runs/lstm-autoencoder-general/preset}" --steps 20000 "${@:2}"
