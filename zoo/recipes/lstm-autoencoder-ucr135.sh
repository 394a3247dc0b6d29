#!/usr/bin/env bash
# Reproduces the `lstm-autoencoder-ucr135` preset: a SequenceAutoencoder (LSTM 1x64 encoder and
# decoder, 16-d code, 32-step windows) trained on the normal part of UCR anomaly series 135
# (steps 0-1199), its anomaly threshold set to the 0.99 quantile of the training scores, and
# scored on the test part (steps 1200-7500) beside a rolling z-score. About 2 minutes on 2 CPU cores.
#   bash zoo/recipes/lstm-autoencoder-ucr135.sh [OUTPUT_DIR]
set -euo pipefail
python -m benchmarks.anomaly --seeds 0 --save-preset "${1:-zoo/lstm-autoencoder-ucr135}"
