"""Saving, finding, verifying and loading presets.

A preset is a directory:

    config.json        the model's Keras config (tokenizer taken out)
    tokenizer.json     the tokenizer's config, vocabulary included (text models only)
    model.weights.h5   the weights
    README.md          the model card, generated from the metadata
    metadata.json      objective, sizes, data and its fingerprint, recipe command, library
                       versions, date, metrics and the sha256 of every other file

Every load verifies the sha256 of every file against `metadata.json`, and for registered
presets the sha256 of `metadata.json` itself against the registry, before anything is
deserialised. Nothing is unpickled and no Lambda layer is ever loaded (`safe_mode=True`).

Where presets come from: a registered name is looked up in `$RS3L_ZOO_DIR`, then in the
source checkout's `zoo/`, then in the installed `rs3l-keras-zoo` wheel (built by `make dist`,
see `rs3l_keras.zoo.wheel`), then at the entry's URL. A directory, an `http(s)://`/`file://`
URL of a `.tar.gz` archive, or a Hugging Face handle `hf://owner/name[@revision]` (the
preset's files at the root of a model repository, as KerasHub lays them out; fetched with
`huggingface_hub` into its cache) load the same way.
"""

import datetime
import difflib
import fnmatch
import hashlib
import json
import os
import pathlib
import platform
import shutil
import sys
import tarfile
import tempfile
import urllib.parse

import keras
import numpy as np

from rs3l_keras.version import __version__
from rs3l_keras.zoo import model_card
from rs3l_keras.zoo.presets import PRESETS

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
TOKENIZER_FILE = "tokenizer.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
README_FILE = "README.md"
_URL_SCHEMES = ("http://", "https://", "file://")
HF_SCHEME = "hf://"
ZOO_PACKAGE = "rs3l_keras_zoo"  # the companion wheel's package (rs3l_keras.zoo.wheel)


class PresetIntegrityError(ValueError):
    """A preset file is missing, altered or does not match the preset's config."""


class UnknownPresetError(ValueError):
    """No registered preset, directory or URL has that name."""


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def zoo_directories():
    """Where registered presets are looked for, in order: `$RS3L_ZOO_DIR` (if set), the
    `zoo/` folder of the source checkout this package runs from (if any), and the presets of
    the installed `rs3l-keras-zoo` wheel (if installed)."""
    found = []
    env = os.environ.get("RS3L_ZOO_DIR")
    if env:
        found.append(pathlib.Path(env))
    root = pathlib.Path(__file__).resolve().parents[2]
    if (root / "setup.cfg").is_file() and (root / "zoo").is_dir():  # a source checkout, not site-packages
        found.append(root / "zoo")
    import importlib.util

    spec = importlib.util.find_spec(ZOO_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        found.append(pathlib.Path(next(iter(spec.submodule_search_locations))) / "presets")
    return found


def zoo_directory():
    """The first of `zoo_directories()` (the source checkout's `zoo/` when there is none)."""
    found = zoo_directories()
    return found[0] if found else pathlib.Path(__file__).resolve().parents[2] / "zoo"


def list_models(pattern=None):
    """Names of the registered presets, sorted; `pattern` filters with shell wildcards.

    >>> "lstm-lm-small" in list_models("lstm-*")
    True
    """
    names = sorted(PRESETS)
    if pattern is not None:
        if not isinstance(pattern, str):
            raise TypeError(f"`pattern` must be a str such as 'lstm-*', received {pattern!r}.")
        names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    return names


def _unknown(name):
    close = difflib.get_close_matches(str(name), list(PRESETS), n=3, cutoff=0.4)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UnknownPresetError(
        f"Unknown preset {name!r}: it is not a registered name, an existing preset "
        f"directory or a URL.{hint} Registered presets: {', '.join(list_models()) or 'none'}."
    )


def download_preset(url, sha256=None, cache_dir=None):
    """Downloads a preset archive (`.tar.gz` of a preset directory) once into the cache
    with `keras.utils.get_file`, checks its sha256, and returns the extracted directory."""
    name = os.path.basename(urllib.parse.urlsplit(url).path) or "preset.tar.gz"
    if cache_dir is not None:  # get_file falls back to /tmp/.keras when the folder is missing
        os.makedirs(cache_dir, exist_ok=True)
    archive = keras.utils.get_file(
        fname=name,
        origin=url,
        file_hash=sha256,
        hash_algorithm="sha256",
        cache_dir=cache_dir,
        cache_subdir="rs3l_presets",
    )
    digest = sha256 or sha256_file(archive)
    target = pathlib.Path(archive).parent / f"{name.split('.')[0]}-{digest[:16]}"
    if not (target / METADATA_FILE).exists():
        staging = pathlib.Path(tempfile.mkdtemp(dir=target.parent, prefix=".extract-"))
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        roots = [p.parent for p in staging.rglob(METADATA_FILE)]
        if len(roots) != 1:
            shutil.rmtree(staging)
            raise PresetIntegrityError(
                f"The archive at {url} must hold exactly one preset (one {METADATA_FILE}), found {len(roots)}."
            )
        os.replace(roots[0], target)
        shutil.rmtree(staging, ignore_errors=True)
    return target


def parse_hf_handle(handle):
    """`"hf://owner/name[@revision]"` → `(repo_id, revision or None)`.

    >>> parse_hf_handle("hf://rs3l/lstm-lm-small@v1")
    ('rs3l/lstm-lm-small', 'v1')
    """
    if not isinstance(handle, str) or not handle.startswith(HF_SCHEME):
        raise ValueError(f"`handle` must look like 'hf://owner/name', received {handle!r}.")
    repo, at, revision = handle[len(HF_SCHEME) :].partition("@")
    parts = repo.split("/")
    if len(parts) != 2 or not all(parts) or (at and not revision):
        raise ValueError(
            f"`handle` must look like 'hf://owner/name' or 'hf://owner/name@revision', received {handle!r}."
        )
    return repo, revision or None


def _huggingface_hub(handle):
    try:
        import huggingface_hub
    except ImportError:
        raise ImportError(
            f"{handle!r} is a Hugging Face handle: install huggingface_hub (pip install 'rs3l-keras[hub]')."
        ) from None
    return huggingface_hub


def download_hf_preset(handle, cache_dir=None):
    """Fetches the preset files of `hf://owner/name[@revision]` into the Hugging Face cache
    (`cache_dir`, default the hub's own) and returns the snapshot directory. Offline
    (`HF_HUB_OFFLINE=1`) a cached snapshot is used; offline and uncached raises at once."""
    repo_id, revision = parse_hf_handle(handle)
    huggingface_hub = _huggingface_hub(handle)
    from huggingface_hub import errors

    try:
        path = huggingface_hub.snapshot_download(
            repo_id,
            revision=revision,
            cache_dir=cache_dir,
            allow_patterns=[CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE, METADATA_FILE, README_FILE],
            library_name="rs3l_keras",
            library_version=__version__,
            etag_timeout=10,
        )
    except (errors.LocalEntryNotFoundError, errors.RepositoryNotFoundError, errors.RevisionNotFoundError) as error:
        offline = huggingface_hub.constants.HF_HUB_OFFLINE
        raise UnknownPresetError(
            f"Preset {handle!r} could not be fetched from the Hugging Face Hub"
            f"{' (offline, HF_HUB_OFFLINE=1, and not in the cache)' if offline else ''}: "
            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        ) from None
    except (errors.HfHubHTTPError, OSError) as error:
        raise UnknownPresetError(
            f"Preset {handle!r} could not be fetched from the Hugging Face Hub: {type(error).__name__}: {error}"
        ) from None
    return pathlib.Path(path)


def upload_preset(handle, directory, private=None, commit_message=None, token=None):
    """Publishes a preset directory to the Hugging Face Hub as `hf://owner/name`.

    The preset is verified first (a damaged preset is never published); its files
    (`metadata.json` and every file it pins) go to the root of the model repository,
    which is created if needed. Load it back with `load_pretrained("hf://owner/name")`.

    Args:
        handle: str, `"hf://owner/name"` (a revision names the branch to commit to).
        directory: str or path of a preset (`save_pretrained`).
        private: bool or None. Visibility of a newly created repository.
        commit_message: str or None.
        token: str or None (default: the logged-in token).

    Returns:
        the `huggingface_hub.CommitInfo` of the upload.
    """
    repo_id, revision = parse_hf_handle(handle)
    directory = pathlib.Path(directory).expanduser()
    metadata = verify_preset(directory)
    huggingface_hub = _huggingface_hub(handle)
    api = huggingface_hub.HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    return api.upload_folder(
        repo_id=repo_id,
        folder_path=str(directory),
        repo_type="model",
        revision=revision,
        allow_patterns=sorted([*metadata["files"], METADATA_FILE]),
        commit_message=commit_message
        or f"Upload preset {metadata.get('name', directory.name)} (rs3l_keras {__version__})",
    )


def resolve_preset(preset, cache_dir=None):
    """Returns `(directory, pinned_metadata_sha256 or None)` for a name, path or URL."""
    if isinstance(preset, os.PathLike):
        preset = os.fspath(preset)
    if not isinstance(preset, str) or not preset:
        raise TypeError(f"`preset` must be a preset name, directory or URL, received {preset!r}.")
    if preset.startswith(_URL_SCHEMES):
        return download_preset(preset, cache_dir=cache_dir), None
    if preset.startswith(HF_SCHEME):
        return download_hf_preset(preset, cache_dir=cache_dir), None
    if preset in PRESETS:
        entry = PRESETS[preset]
        searched = zoo_directories()
        for zoo in searched:
            if (zoo / entry["path"] / METADATA_FILE).exists():
                return zoo / entry["path"], entry["metadata_sha256"]
        url = entry.get("url")
        if url and url.startswith(HF_SCHEME):
            return download_hf_preset(url, cache_dir=cache_dir), entry["metadata_sha256"]
        if url:
            return download_preset(url, entry.get("archive_sha256"), cache_dir), entry["metadata_sha256"]
        raise UnknownPresetError(
            f"Preset {preset!r} is registered but its files are in none of "
            f"{[str(z) for z in searched] or 'no zoo directory'} and it has no URL. Install the "
            "rs3l-keras-zoo wheel (`make dist`) or set RS3L_ZOO_DIR to the folder holding the zoo's presets."
        )
    path = pathlib.Path(preset).expanduser()
    if not path.exists() and list(path.parent.glob(f".{path.name}.old-*")):
        _recover_interrupted_save(path)
    if path.is_dir():
        return path, None
    raise _unknown(preset)


def verify_preset(directory, metadata_sha256=None):
    """Checks every file of a preset against its recorded sha256; returns the metadata.

    Raises:
        PresetIntegrityError: naming the file and the expected and actual hashes, when a
            file is missing, truncated, altered or swapped.
    """
    directory = pathlib.Path(directory)
    meta_path = directory / METADATA_FILE
    if not meta_path.exists():
        raise PresetIntegrityError(f"{directory} is not a preset: it has no {METADATA_FILE}.")
    if metadata_sha256 is not None:
        actual = sha256_file(meta_path)
        if actual != metadata_sha256:
            raise PresetIntegrityError(f"{meta_path}: sha256 {actual} does not match the registry's {metadata_sha256}.")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PresetIntegrityError(f"{meta_path} is not valid JSON: {error}") from None
    files = metadata.get("files")
    if not isinstance(files, dict) or WEIGHTS_FILE not in files or CONFIG_FILE not in files:
        raise PresetIntegrityError(
            f"{meta_path} must list the sha256 of {CONFIG_FILE} and {WEIGHTS_FILE} under 'files'."
        )
    for name, expected in sorted(files.items()):
        path = directory / name
        if pathlib.PurePath(name).name != name or not path.is_file():
            raise PresetIntegrityError(
                f"{path}: file listed in {METADATA_FILE} is missing (expected sha256 {expected})."
            )
        actual = sha256_file(path)
        if actual != expected:
            raise PresetIntegrityError(
                f"{path}: sha256 {actual} does not match the expected {expected} "
                "(the file is truncated, altered or swapped)."
            )
    return metadata


def preset_metadata(preset, cache_dir=None):
    """The verified `metadata.json` of a preset (name, directory or URL)."""
    directory, pinned = resolve_preset(preset, cache_dir)
    return verify_preset(directory, pinned)


def _check_class(config, where):
    if not isinstance(config, dict):
        raise PresetIntegrityError(f"{where} must hold a Keras config object, received {type(config).__name__}.")
    registered = config.get("registered_name")
    if not (isinstance(registered, str) and registered.startswith("rs3l_keras>")):
        raise PresetIntegrityError(
            f"{where} names class {registered or config.get('class_name')!r}; a preset may only "
            "build rs3l_keras classes."
        )
    cls = keras.saving.get_registered_object(registered)
    if cls is None:
        raise PresetIntegrityError(f"{where} names {registered!r}, which rs3l_keras does not register.")


def _check_weight_shapes(model, weights_path):
    """Compares the multiset of weight shapes in the file with the model's before loading."""
    import h5py

    stored = []
    with h5py.File(weights_path, "r") as f:
        f.visititems(
            lambda name, obj: (
                stored.append(tuple(obj.shape))
                if isinstance(obj, h5py.Dataset) and not name.startswith("optimizer")
                else None
            )
        )
    expected = sorted(tuple(w.shape) for w in model.weights)
    if sorted(stored) != expected:
        missing = sorted(set(expected) - set(stored))
        extra = sorted(set(stored) - set(expected))
        raise PresetIntegrityError(
            f"{weights_path} does not fit the preset's config: {len(stored)} stored arrays vs "
            f"{len(expected)} model weights; shapes only in the config {missing[:4]}, only in the "
            f"file {extra[:4]} (vocabulary or size mismatch)."
        )


def load_pretrained(preset, weights=True, compile=True, cache_dir=None):
    """Loads a preset by registered name, directory or URL, verifying every file first.

    Args:
        preset: a registered name (`rs3l.list_models()`), a preset directory, an
            `http(s)://`/`file://` URL of a `.tar.gz` preset archive (downloaded once), or a
            Hugging Face handle `hf://owner/name[@revision]`.
        weights: bool, default True. False gives the same architecture (and tokenizer)
            with freshly initialised weights.
        compile: bool, default True. Compile with the objective's defaults.
        cache_dir: str or None. Download cache (for `hf://` handles, the Hugging Face
            hub cache; default the hub's own).

    Returns:
        The objective model (e.g. a `LanguageModel`).

    Example:
    >>> lm = load_pretrained("lstm-lm-small")
    >>> type(lm).__name__
    'LanguageModel'
    """
    directory, pinned = resolve_preset(preset, cache_dir)
    verify_preset(directory, pinned)
    config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
    _check_class(config, CONFIG_FILE)
    config.pop("compile_config", None)
    tokenizer_path = directory / TOKENIZER_FILE
    if tokenizer_path.exists():
        tokenizer_config = json.loads(tokenizer_path.read_text(encoding="utf-8"))
        _check_class(tokenizer_config, TOKENIZER_FILE)
        config["config"]["tokenizer"] = tokenizer_config
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except (ValueError, TypeError, KeyError) as error:
        raise PresetIntegrityError(
            f"{directory}: {CONFIG_FILE} and {TOKENIZER_FILE} do not describe a valid model: {error}"
        ) from error
    if weights:
        _check_weight_shapes(model, directory / WEIGHTS_FILE)
        model.load_weights(directory / WEIGHTS_FILE)
    if compile:
        model.compile()
    return model


def _library_versions():
    versions = {
        "rs3l_keras": __version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        versions["tensorflow"] = tf.__version__
    return versions


def save_pretrained(model, directory, metrics=None, metadata=None):
    """Writes `model` as a preset directory, atomically.

    Everything is written to a temporary sibling folder, hashed, and renamed into place:
    an interrupted save leaves any previous preset at `directory` intact.

    Args:
        model: an rs3l_keras objective (e.g. `LanguageModel`).
        directory: str or path. Created, or replaced if it already holds a preset.
        metrics: dict of name → number (e.g. held-out bits/char), stored in the metadata.
        metadata: dict of further metadata (data, recipe command, training, description…).

    Returns:
        `pathlib.Path` of the preset.
    """
    directory = pathlib.Path(directory).expanduser()
    config = keras.saving.serialize_keras_object(model)
    config.pop("compile_config", None)  # a preset is an architecture and weights; loading compiles
    _check_class(config, "model")
    if metrics is not None and not isinstance(metrics, dict):
        raise TypeError(f"`metrics` must be a dict of name → number, received {type(metrics).__name__}.")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"`metadata` must be a dict, received {type(metadata).__name__}.")
    if directory.exists() and (
        not directory.is_dir() or (any(directory.iterdir()) and not (directory / METADATA_FILE).exists())
    ):
        raise FileExistsError(f"`directory` {directory} exists and is not a preset; refusing to replace it.")
    directory.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_save(directory)
    staging = pathlib.Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.tmp-"))
    try:
        tokenizer_config = config["config"].pop("tokenizer", None)
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        if tokenizer_config is not None:
            (staging / TOKENIZER_FILE).write_text(json.dumps(tokenizer_config, indent=1) + "\n")
        # Weights only, from an uncompiled twin: no optimizer state in a preset.
        twin = keras.saving.deserialize_keras_object(config)  # uncompiled: no optimizer slots
        twin.set_weights(model.get_weights())
        twin.save_weights(staging / WEIGHTS_FILE)
        meta = {
            "name": directory.name,
            "format_version": FORMAT_VERSION,
            "objective": type(model).__name__,
            "num_parameters": int(model.count_params()),
            "backbone": _backbone_summary(model),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "versions": _library_versions(),
            **(metadata or {}),
            "metrics": {k: _jsonable(v) for k, v in (metrics or {}).items()},
        }
        (staging / README_FILE).write_text(model_card.render(meta))
        meta["files"] = {p.name: sha256_file(p) for p in sorted(staging.iterdir())}
        (staging / METADATA_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        _fsync_tree(staging)
        if directory.exists():
            _swap_directories(staging, directory)  # staging now holds the old preset
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.replace(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def _swap_directories(a, b):
    """Exchanges two directories in one step (Linux `renameat2(RENAME_EXCHANGE)`); elsewhere
    two renames, with `_recover_interrupted_save` undoing a crash between them."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
    except (OSError, AttributeError):
        pass
    retired = b.with_name(f".{b.name}.old-{os.getpid()}")
    os.replace(b, retired)
    os.replace(a, b)
    os.replace(retired, a)


def _recover_interrupted_save(directory):
    """Restores a preset left aside by a crash mid-swap and removes stale staging folders."""
    parent = directory.parent
    retired = sorted(parent.glob(f".{directory.name}.old-*"))
    if retired and not directory.exists():
        os.replace(retired.pop(), directory)
    for stale in retired + list(parent.glob(f".{directory.name}.tmp-*")):
        shutil.rmtree(stale, ignore_errors=True)


def update_metadata(directory, updates):
    """Merges `updates` into a preset's metadata (e.g. downstream results), regenerates the
    model card and re-pins every file's sha256 as the files are now (a maintainer's tool:
    it trusts the folder). The new metadata.json is written atomically; the registry pin
    of a registered preset must then be updated too."""
    directory = pathlib.Path(directory)
    meta = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    meta.update(updates)
    meta.pop("files", None)
    _atomic_write_text(directory / README_FILE, model_card.render(meta))
    meta["files"] = {
        p.name: sha256_file(p) for p in sorted(directory.iterdir()) if p.is_file() and p.name != METADATA_FILE
    }
    _atomic_write_text(directory / METADATA_FILE, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def _atomic_write_text(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def pack_preset(directory, archive=None):
    """Packs a preset directory as `.tar.gz` for hosting at a URL; returns `(path, sha256)`."""
    directory = pathlib.Path(directory)
    verify_preset(directory)
    archive = pathlib.Path(archive or directory.with_suffix(".tar.gz"))
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(directory.iterdir()):
            tar.add(path, arcname=f"{directory.name}/{path.name}")
    return archive, sha256_file(archive)


def _backbone_summary(model):
    backbone = getattr(model, "backbone", None)
    if backbone is None:
        return None
    keys = ("cell", "num_layers", "hidden_dim", "embedding_dim", "bidirectional", "vocabulary_size", "input_dim")
    config = backbone.get_config()
    return {k: config.get(k) for k in keys}


def _jsonable(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _fsync_tree(directory):
    for path in pathlib.Path(directory).iterdir():
        with open(path, "rb") as f:
            os.fsync(f.fileno())
