#!/usr/bin/env bash
# Reproduces the `bilstm-mlm-small` preset: a character-level bidirectional LSTM (1×256 per
# direction) trained with BERT-style masking on the 34 training plays of Shakespeare, scored
# on the held-out plays against `lstm-lm-small` predicting the same positions from the left.
# About 25 minutes on 2 CPU cores.
#   bash zoo/recipes/bilstm-mlm-small.sh [OUTPUT_DIR]
set -euo pipefail
rs3l pretrain --objective masked-language-model --data shakespeare --tokenizer char \
  --cell lstm --num-layers 1 --hidden-dim 256 --embedding-dim 64 \
  --sequence-length 128 --batch-size 64 --epochs 4 --learning-rate 0.003 --seed 0 \
  --compare-with lstm-lm-small \
  --description "Character-level bidirectional 1x256 LSTM masked language model pretrained on 34 Shakespeare plays." \
  --recipe "bash zoo/recipes/bilstm-mlm-small.sh" --output "${1:-zoo/bilstm-mlm-small}"
