#!/usr/bin/env bash
# Reproduces the `lstm-lm-english` preset: a subword (SentencePiece unigram, 4,000 pieces) 1x512
# LSTM language model with tied embeddings (256-d) on the offline English mix (~70 MB: news,
# State of the Union, Brown, WordNet glosses, Python and Linux docs, fortunes, 34 Shakespeare plays (not the 4 held out);
# rs3l_keras.data.corpus.english_mix, benchmark test texts kept out), on ONE CPU core (Keras on
# torch, PyTorch's fused LSTM kernel), plus a plain PyTorch LSTM of the same size for 150 steps.
# Two cycles of warm-up + cosine decay, 15,000 steps of 32x64 tokens in all (30.7M tokens, 1.25
# passes over the 24.6M training tokens):
#   1. steps 0-7,000 (about 70 minutes of one core; 4,122 s for the preset): the previous preset;
#   2. a warm restart, steps 7,000-15,000 with the optimizer state kept (5,324 s for the preset,
#      while the other core ran other work); then about 5 minutes of scoring.
# Needs `make corpus` first. Checkpoints every 100 steps in the work dir; rerun an interrupted
# phase with --resume added (phase 2 already has it).
#   bash zoo/recipes/lstm-lm-english.sh [OUTPUT_DIR]
set -euo pipefail
run() {
  KERAS_BACKEND=torch OMP_NUM_THREADS=1 python zoo/recipes/lstm_lm_english.py --work-dir runs/lm-english-v3 \
    --vocabulary-size 4000 --num-layers 1 --hidden-dim 512 --embedding-dim 256 --dropout 0.1 --sequence-length 64 \
    --batch-size 32 --chunk-steps 100 --learning-rate 0.003 --torch-steps 150 --seed 0 "$@"
}
run --output runs/lstm-lm-english-first-cycle --steps 7000
run --output "${1:-zoo/lstm-lm-english}" --steps 15000 --resume --restart-at 7000
