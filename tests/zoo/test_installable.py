"""The installable zoo: both wheels built, installed into a fresh venv outside the checkout,
every registered preset found and verified offline there (about 40 s: builds and a venv)."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras.zoo import hub, wheel

REPO = pathlib.Path(__file__).resolve().parents[2]
PROBE = "lstm-lm-small"  # a preset whose outputs the fresh environment must reproduce


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """(code wheel, zoo wheel), the code wheel built from a copy of the sources (so the
    build leaves nothing in the shared checkout), without network or build isolation."""
    root = tmp_path_factory.mktemp("dist")
    source = root / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "rs3l_keras", source / "rs3l_keras", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["-w", str(root), str(source)],
        check=True,
        cwd=root,
    )
    (code,) = root.glob("rs3l_keras-*.whl")
    return code, wheel.build_zoo_wheel(root)


def test_zoo_wheel_holds_every_registered_preset_and_a_valid_record(wheels):
    _, zoo = wheels
    assert wheel.check_wheel(zoo) == rs3l.list_models()
    with zipfile.ZipFile(zoo) as archive:
        init = archive.read("rs3l_keras_zoo/__init__.py").decode()
        names = archive.namelist()
    assert all(f"'{name}': '{hub.PRESETS[name]['metadata_sha256']}'" in init for name in rs3l.list_models())
    assert not [n for n in names if n.endswith((".py", ".sh")) and not n.endswith("__init__.py")]
    assert wheel.build_zoo_wheel(zoo.parent / "again").read_bytes() == zoo.read_bytes()  # reproducible


def test_code_wheel_holds_code_only(wheels):
    code, _ = wheels
    with zipfile.ZipFile(code) as archive:
        names = archive.namelist()
    assert "rs3l_keras/zoo/hub.py" in names and "rs3l_keras/zoo/wheel.py" in names
    assert not [n for n in names if n.endswith((".h5", ".whl"))]
    assert code.stat().st_size < 1_000_000


def test_registered_name_outside_the_zoo_is_refused(monkeypatch):
    monkeypatch.setitem(hub.PRESETS, "not-built", {"path": "not-built", "metadata_sha256": "0" * 64})
    with pytest.raises(rs3l.UnknownPresetError, match="'not-built' is registered but its files are in none of"):
        wheel.build_zoo_wheel("/nonexistent-never-written", names=["not-built"])
    with pytest.raises(rs3l.UnknownPresetError, match="`names` holds 'nope'"):
        wheel.zoo_files(["nope"])


_CHECK = """
import json, sys
import numpy as np
import rs3l_keras as rs3l
from rs3l_keras.zoo import hub
out = {"module": rs3l.__file__, "zoo": [str(z) for z in hub.zoo_directories()], "models": rs3l.list_models()}
out["verified"] = sorted(name for name in rs3l.list_models() if rs3l.preset_metadata(name))
out["loaded"] = {name: type(rs3l.load_pretrained(name, compile=False)).__name__ for name in rs3l.list_models()}
lm = rs3l.load_pretrained(sys.argv[1])
out["logits"] = np.asarray(lm.predict_on_batch(lm.tokenizer.encode("To be, or not")[None]))[0, -1].tolist()
print("RESULT" + json.dumps(out))
"""


def test_fresh_environment_outside_the_checkout_loads_every_preset(wheels, tmp_path):
    code, zoo = wheels
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The heavy dependencies (TensorFlow, Keras, h5py…) come from this interpreter's
    # site-packages through a path entry: only its folder joins sys.path (its .pth files,
    # among them the editable install of this checkout, are not run) and after the venv's own.
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    pathlib.Path(purelib, "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index"]
        + [str(code), str(zoo)],
        check=True,
        cwd=tmp_path,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("RS3L_ZOO_DIR", "PYTHONPATH")}
    env.update(HF_HUB_OFFLINE="1", KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "tensorflow"))
    run = subprocess.run(
        [python, "-c", _CHECK, PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("RESULT"))[6:])
    assert pathlib.Path(result["module"]).is_relative_to(venv), result["module"]
    assert [pathlib.Path(z).is_relative_to(venv) for z in result["zoo"]] == [True]  # the wheel, not the checkout
    assert result["models"] == result["verified"] == rs3l.list_models()
    assert set(result["loaded"]) == set(rs3l.list_models())
    lm = rs3l.load_pretrained(PROBE)
    here = np.asarray(lm.predict_on_batch(lm.tokenizer.encode("To be, or not")[None]))[0, -1]
    np.testing.assert_allclose(result["logits"], here, rtol=1e-5, atol=1e-5)
