#!/usr/bin/env bash
# Reproduces the `gru-cpc-ucr` preset: a univariate GRU 1x64 series encoder trained with
# Contrastive Predictive Coding (4 prediction steps, causal Conv1D step encoder, random
# 128-step windows) on the pooled, unlabelled train splits of GunPoint, ItalyPowerDemand,
# ArrowHead and PickupGestureWiimoteZ (203 series of 24 to 361 steps), then linear-probed on
# each univariate set with concat (last+mean+max) pooling. Also runs the per-dataset benchmark
# (3 seeds) whose results are attached to the preset's metadata. About 30 minutes on 2 shared
# CPU cores (TF; KERAS_BACKEND=torch runs the GRU on PyTorch's kernel, about 3x faster).
# The committed metadata also keeps the first protocol's numbers (`*_auto_pooling`).
#   bash zoo/recipes/gru-cpc-ucr.sh [OUTPUT_DIR]
set -euo pipefail
out="${1:-zoo/gru-cpc-ucr}"
python benchmarks/ucr_probe.py --objective cpc --seeds 0 1 2 --pooling last+mean+max --output benchmarks/ucr_probe_v2_cpc_h64.json
python benchmarks/ucr_probe.py --objective cpc --seeds 0 --preset "$out" --preset-steps 1500 --pooling last+mean+max
python benchmarks/ucr_probe.py --attach "$out" benchmarks/ucr_probe_v2_cpc_h64.json
