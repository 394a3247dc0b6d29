#!/usr/bin/env bash
# Reproduces the `lstm-forecaster-elecdemand` preset: a Forecaster (LSTM 1x32 encoder over the
# last week of half-hourly history, LSTM decoder over the horizon, Gaussian head) trained on
# fpp2/elecdemand (Victoria, 2014) without its last 4 weeks, with WorkDay and Temperature as
# known-future covariates; scored on those 4 weeks (1344 half-hours, forecast in one go)
# against the naive and seasonal-naive forecasts. About 3 minutes on 2 CPU cores.
#   bash zoo/recipes/lstm-forecaster-elecdemand.sh [OUTPUT_DIR]
set -euo pipefail
python -m benchmarks.forecasting --datasets elecdemand --seeds 0 --save-preset "${1:-zoo/lstm-forecaster-elecdemand}"
