"""The notebooks in `notebooks/` run top to bottom and are committed clean.

Each notebook is executed with nbclient in a fresh kernel (the interpreter running the tests,
so the same virtual environment), with `RS3L_NOTEBOOK_SMALL=1` (the notebooks' small settings),
`MPLBACKEND=Agg` and a temporary working directory, so nothing is written into the repository.
The execution time of each notebook is printed (`pytest -s` or `-rA` shows it).
"""

import importlib.util
import os
import pathlib
import sys
import time

import nbformat
import pytest
from ipykernel.kernelspec import install as install_kernelspec
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL = "rs3l-notebook-test"
CELL_TIMEOUT = 300  # seconds per cell; the whole notebook has pytest-timeout's limit below


@pytest.fixture(scope="session")
def kernel_path(tmp_path_factory):
    """A kernelspec for this interpreter (`[sys.executable, "-m", "ipykernel_launcher", ...]`),
    found through JUPYTER_PATH: no user- or system-wide `python3` kernelspec can shadow it."""
    prefix = tmp_path_factory.mktemp("jupyter")
    install_kernelspec(kernel_name=KERNEL, display_name="rs3l notebook tests", prefix=str(prefix))
    return str(prefix / "share" / "jupyter")


def test_notebooks_exist():
    assert [p.stem[:3] for p in NOTEBOOKS] == [f"{i:02d}_" for i in range(1, 9)], [p.name for p in NOTEBOOKS]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, kernel_path, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", kernel_path)
    nb = nbformat.read(path, as_version=4)
    env = {**os.environ, "RS3L_NOTEBOOK_SMALL": "1", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3"}
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    client.execute(env=env)
    seconds = time.perf_counter() - start
    print(f"\n{path.name}: executed in {seconds:.1f}s")
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.output_type == "error"]
    assert not errors
    ran = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in ran), "every code cell ran"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        assert cell.metadata == {}, f"{path.name}: cell {cell.id} has metadata {cell.metadata}"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: cell {cell.id} has outputs"
    assert set(nb.metadata) <= {"accelerator", "kernelspec", "language_info"}, sorted(nb.metadata)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_with_install_cell_gpu_note_and_sizes(path):
    cells = nbformat.read(path, as_version=4).cells
    intro, install, gpu_note, sizes = cells[:4]
    assert intro.cell_type == "markdown" and intro.source.startswith("# ")
    assert install.cell_type == "code"
    assert 'if "google.colab" in sys.modules:' in install.source and "pip" in install.source
    assert gpu_note.cell_type == "markdown"
    assert "Change runtime type" in gpu_note.source and "GPU" in gpu_note.source
    assert sizes.cell_type == "code" and 'SMALL = os.environ.get("RS3L_NOTEBOOK_SMALL") == "1"' in sizes.source


def test_notebooks_match_their_generator():
    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOK_DIR / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(f"{name}.ipynb" for name in module.NOTEBOOKS) == [p.name for p in NOTEBOOKS]
    assert module.write_all(check=True) == [], "run: python notebooks/build_notebooks.py"


def test_kernel_runs_this_interpreter(kernel_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.setenv("JUPYTER_PATH", kernel_path)
    assert KernelSpecManager().get_kernel_spec(KERNEL).argv[0] == sys.executable
