"""The registry of pretrained presets: plain data, one entry per preset.

`path` is relative to the zoo directory (`zoo/` in the source tree, or `$RS3L_ZOO_DIR`);
`url` (optional) points at a `.tar.gz` of the preset with its `archive_sha256`;
`metadata_sha256` pins `metadata.json`, which pins the sha256 of every other file.
"""

PRESETS = {
    "lstm-vae-small": {
        "description": "Character-level sequence VAE (LSTM 1x192, 32-d latent) on Shakespeare lines.",
        "path": "lstm-vae-small",
        "metadata_sha256": "cf02c73f9721d008d3353ce467872560adfc445a17b9f8f4c0841c64d6a48685",
    },
}
