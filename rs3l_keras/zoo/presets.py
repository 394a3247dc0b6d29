"""The registry of pretrained presets: plain data, one entry per preset.

`path` is relative to the zoo directory (`zoo/` in the source tree, or `$RS3L_ZOO_DIR`);
`url` (optional) points at a `.tar.gz` of the preset with its `archive_sha256`;
`metadata_sha256` pins `metadata.json`, which pins the sha256 of every other file.
"""

PRESETS = {
    "lstm-vae-small": {
        "description": "Character-level sequence VAE (LSTM 1x192, 32-d latent) on Shakespeare lines.",
        "path": "lstm-vae-small",
        "metadata_sha256": "93c076555b699add0f9a82153f11a12dd9991e41bbb9b61995ef9ddbc086e53c",
    },
    "lstm-lm-small": {
        "description": "Character-level 1x512 LSTM language model pretrained on 34 Shakespeare plays.",
        "path": "lstm-lm-small",
        "metadata_sha256": "6d532dd437a2103c5a1887327f9b2a6c92371d2f91c496fe374d7517a53a09b1",
    },
    "lstm-lm-medium": {
        "description": "Character-level 2x512 LSTM language model pretrained on 33 Shakespeare plays (GPU recipe).",
        "path": "lstm-lm-medium",
        "metadata_sha256": "e2550861e24a23d6950daa8420c33ffaf032b11fe06ed5342d0caba96e1a49a7",
    },
    "lstm-seq2seq-small": {
        "description": "Character-level denoising seq2seq (BiLSTM 1x128 encoder, LSTM 256 decoder, Luong attention) on Shakespeare lines.",
        "path": "lstm-seq2seq-small",
        "metadata_sha256": "ed4c37a919b33a270410007864236c92bea82ba0076493a583934ce53edfc079",
    },
    "bilstm-mlm-small": {
        "description": "Character-level bidirectional 1x256 LSTM masked language model pretrained on 34 Shakespeare plays.",
        "path": "bilstm-mlm-small",
        "metadata_sha256": "b66cc973cac9deff30ab1f0c1a78422e2085b209d06f5089dd66322f769517cc",
    },
    "gru-ts-general": {
        "description": "General univariate GRU 1x128 series encoder (NT-Xent) pretrained on the TRAIN splits of 72 UCR archive sets (17,059 series); any length and scale, multivariate channel by channel. Held-out 12-set probe: 0.754 vs 0.684 untrained.",
        "path": "gru-ts-general",
        "metadata_sha256": "a35d6bfd9523b001f519764c31e7c6f691331ba0f50ec62c527b47e43b0c3457",
    },
    "gru-cpc-ucr": {
        "description": "Univariate GRU 1x64 series encoder (CPC) pretrained on pooled UCR train splits of 4 sets; embeds any univariate series of any length. Superseded by gru-ts-general.",
        "path": "gru-cpc-ucr",
        "metadata_sha256": "e5e09e27d0d9eb35eee9469f8927efcde63d99b88aca25b9fb66c477abeac5a8",
    },
    "gru-gan-sines": {
        "description": "Recurrent GAN (GRU 1x24 generator and discriminator) trained on TimeGAN's 5-channel sines of length 24.",
        "path": "gru-gan-sines",
        "metadata_sha256": "6d58ff2560f1fabfe04d7b72c1c589db92a0c05836d0b8fbeec822b9fe29ee63",
    },
    "lstm-forecaster-elecdemand": {
        "description": "Half-hourly electricity demand forecaster (LSTM 1x32 encoder and decoder, Gaussian head) for Victoria, Australia: 4 weeks ahead with temperature and working-day covariates.",
        "path": "lstm-forecaster-elecdemand",
        "metadata_sha256": "d46381d7540456ee255e0e262e0133683a90762b0d033dc32855bdbad0e99b53",
    },
    "lstm-autoencoder-ucr135": {
        "description": "LSTM sequence autoencoder (1x64 encoder and decoder, 16-d code, 32-step windows) for anomaly detection on UCR anomaly series 135.",
        "path": "lstm-autoencoder-ucr135",
        "metadata_sha256": "e881198309999c2048b3d8ac308579823df00017619354cdcc5d9ed0127796bc",
    },
    "lstm-lm-english": {
        "description": "Subword (SentencePiece, 4,000 pieces) 1x512 LSTM language model with tied embeddings, pretrained on ~70 MB of offline English (english_mix) on one CPU core.",
        "path": "lstm-lm-english",
        "metadata_sha256": "082661851b97a6fb61cb0678744e7c3d69e4638a5e7dd365d5c259a729bd4aab",
    },
    "lstm-forecaster-global": {
        "description": "Zero-shot global forecaster (LSTM 1x64 encoder and decoder, 11 quantiles) for univariate series of any scale, frequency and length; never trained on M3 or Tourism.",
        "path": "lstm-forecaster-global",
        "metadata_sha256": "5e7888f77d8cf2afad2af987cf027f55f48383bfd80e207f33f5d7ef5a52f093",
    },
}
