#!/usr/bin/env bash
# Reproduces the `lstm-seq2seq-small` preset: a character-level denoising sequence-to-sequence
# model (bidirectional 1×128 LSTM encoder, 256-unit LSTM decoder, Luong attention) trained to
# restore lines of the 34 training plays corrupted by character drops, adjacent swaps and
# masked spans; scored on lines of the held-out plays against copying the corrupted input.
# About 20 minutes on 2 CPU cores.
#   bash zoo/recipes/lstm-seq2seq-small.sh [OUTPUT_DIR]
set -euo pipefail
rs3l pretrain --objective seq2seq --task denoise --attention luong --data shakespeare --tokenizer char \
  --cell lstm --num-layers 1 --hidden-dim 128 --embedding-dim 64 --max-length 64 \
  --batch-size 64 --epochs 3 --learning-rate 0.003 --seed 0 --eval-lines 500 \
  --description "Character-level denoising seq2seq (BiLSTM 1x128 encoder, LSTM 256 decoder, Luong attention) on Shakespeare lines." \
  --recipe "bash zoo/recipes/lstm-seq2seq-small.sh" --output "${1:-zoo/lstm-seq2seq-small}"
