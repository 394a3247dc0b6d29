#!/usr/bin/env bash
# Reproduces the `gru-gan-sines` preset: a RecurrentGAN (GRU 1x24 generator and discriminator,
# per-step + per-sequence noise, TimeGAN's moment loss on x, Δx, Δ²x) trained on 10,000 of
# TimeGAN's 5-channel sines of length 24, then scored with TimeGAN's protocol
# (discriminative and predictive scores; see benchmarks/gan_sines.py).
#   bash zoo/recipes/gru-gan-sines.sh [OUTPUT_DIR]
set -euo pipefail
python benchmarks/gan_sines.py --seeds 0 1 2 --epochs 12 --repeats 3 --strong-repeats 1 --real-reference \
  --json benchmarks/gan_sines.json --save "${1:-zoo/gru-gan-sines}"
