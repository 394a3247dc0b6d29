#!/usr/bin/env bash
# Reproduces the `lstm-vae-small` preset: a character-level sequence VAE (Bowman et al., 2016)
# on the lines of the 34 training plays: LSTM 1×192 encoder, 32-d latent, LSTM decoder
# conditioned on z, 25% token dropout, KL annealed linearly over the first third of training
# and 0.1 free nats per latent dimension. About 20 minutes on 2 CPU cores.
#   bash zoo/recipes/lstm-vae-small.sh [OUTPUT_DIR]
set -euo pipefail
rs3l pretrain --objective sequence-vae --data shakespeare --tokenizer char \
  --cell lstm --num-layers 1 --hidden-dim 192 --embedding-dim 64 --max-length 64 \
  --latent-dim 32 --token-dropout 0.25 --free-bits 0.1 \
  --batch-size 64 --epochs 2 --learning-rate 0.003 --seed 0 --eval-lines 2000 \
  --description "Character-level sequence VAE (LSTM 1x192, 32-d latent) on Shakespeare lines." \
  --recipe "bash zoo/recipes/lstm-vae-small.sh" --output "${1:-zoo/lstm-vae-small}"
