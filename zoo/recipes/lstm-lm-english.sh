#!/usr/bin/env bash
# Reproduces the `lstm-lm-english` preset: a subword (SentencePiece unigram, 4,000 pieces) 1x512
# LSTM language model with tied embeddings (256-d) on the offline English mix (~70 MB: news,
# State of the Union, Brown, WordNet glosses, Python and Linux docs, fortunes, 34 Shakespeare plays (not the 4 held out);
# rs3l_keras.data.corpus.english_mix, benchmark test texts kept out), on ONE CPU core (Keras on
# torch, PyTorch's fused LSTM kernel), plus a plain PyTorch LSTM of the same size for 150 steps.
# About 70 minutes of one core for 7,000 steps of 32x64 tokens (14.3M tokens; the preset: 4,122 s while
# the other core ran other work), then about 5 minutes of scoring. Needs `make corpus` first.
# Checkpoints every 100 steps in the work dir; add --resume to continue an interrupted run.
#   bash zoo/recipes/lstm-lm-english.sh [OUTPUT_DIR]
set -euo pipefail
KERAS_BACKEND=torch OMP_NUM_THREADS=1 python zoo/recipes/lstm_lm_english.py --output "${1:-zoo/lstm-lm-english}" \
  --work-dir runs/lm-english-v3 --vocabulary-size 4000 --num-layers 1 --hidden-dim 512 --embedding-dim 256 \
  --dropout 0.1 --sequence-length 64 --batch-size 32 --steps 7000 --chunk-steps 100 --learning-rate 0.003 \
  --torch-steps 150 --seed 0
