"""The registry of pretrained presets: plain data, one entry per preset.

`path` is relative to the zoo directory (`zoo/` in the source tree, or `$RS3L_ZOO_DIR`);
`url` (optional) points at a `.tar.gz` of the preset with its `archive_sha256`;
`metadata_sha256` pins `metadata.json`, which pins the sha256 of every other file.
"""

PRESETS = {}
