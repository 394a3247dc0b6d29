"""Packs a `lstm_lm_english.py` work dir's tokenised corpus small enough to carry to a lent GPU
machine (the `device` tool carries at most 64 MiB with the working tree), and unpacks it there.

The 24.6 M token ids (4,000 pieces, 12 bits each) are packed two to three bytes and xz-compressed
(20 MB), the held-out text xz-compressed; `corpus.json` and `tokenizer.json` are copied. Unpacking
checks the ids' sha256 against the packed one, so the GPU run reads exactly the CPU run's tokens.

    python zoo/recipes/lm_corpus_carry.py pack runs/lm-english-v3 .gpu      # here
    python3 zoo/recipes/lm_corpus_carry.py unpack .gpu /tmp/work           # on the device
"""

import argparse
import hashlib
import json
import lzma
import pathlib
import shutil
import sys

import numpy as np

COPIED = ("corpus.json", "tokenizer.json")


def pack(work, carry):
    work, carry = pathlib.Path(work), pathlib.Path(carry)
    carry.mkdir(parents=True, exist_ok=True)
    ids = np.load(work / "train_ids.npy")
    if ids.min() < 0 or ids.max() >= 4096:
        raise ValueError(f"{work}/train_ids.npy: ids must fit 12 bits (0..4095), got {ids.min()}..{ids.max()}")
    pairs = np.append(ids.astype(np.uint32), np.zeros(len(ids) % 2, np.uint32)).reshape(-1, 2)
    packed = (pairs[:, 0] << 12) | pairs[:, 1]
    raw = np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], 1).astype(np.uint8).tobytes()
    (carry / "ids.u12.xz").write_bytes(lzma.compress(raw, preset=6))
    meta = {"num_ids": len(ids), "dtype": str(ids.dtype), "sha256": hashlib.sha256(ids.tobytes()).hexdigest()}
    (carry / "ids.json").write_text(json.dumps(meta))
    (carry / "heldout.txt.xz").write_bytes(lzma.compress((work / "heldout.txt").read_bytes()))
    for name in COPIED:
        shutil.copy(work / name, carry / name)


def unpack(carry, work):
    carry, work = pathlib.Path(carry), pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    meta = json.loads((carry / "ids.json").read_text())
    raw = np.frombuffer(lzma.decompress((carry / "ids.u12.xz").read_bytes()), np.uint8).reshape(-1, 3)
    packed = (raw[:, 0].astype(np.uint32) << 16) | (raw[:, 1].astype(np.uint32) << 8) | raw[:, 2]
    ids = np.stack([packed >> 12, packed & 4095], 1).reshape(-1)[: meta["num_ids"]].astype(meta["dtype"])
    if hashlib.sha256(ids.tobytes()).hexdigest() != meta["sha256"]:
        raise ValueError(f"{carry}/ids.u12.xz does not unpack to the packed ids (sha256 differs)")
    np.save(work / "train_ids.npy", ids)
    (work / "heldout.txt").write_bytes(lzma.decompress((carry / "heldout.txt.xz").read_bytes()))
    for name in COPIED:
        shutil.copy(carry / name, work / name)
    print(json.dumps({"unpacked_ids": len(ids), "into": str(work)}), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("pack", "unpack"))
    parser.add_argument("source")
    parser.add_argument("destination")
    args = parser.parse_args(argv)
    (pack if args.action == "pack" else unpack)(args.source, args.destination)
    return 0


if __name__ == "__main__":
    sys.exit(main())
