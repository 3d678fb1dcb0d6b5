# Two commands do everything on a fresh machine (see README):
#   make book   build the website into _build/html
#   make test   unit tests, lint, every notebook re-executed and compared (nbval), strict site build
# Both create the virtual environment .venv on the way and fetch the data when it is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
JOBS   ?= 2
NB     ?= $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)

.PHONY: help setup data book test unit lint notebooks-test site-strict notebooks benchmark lab clean distclean

help:
	@echo "make book       build the website into _build/html (sets up .venv first)"
	@echo "make test       unit tests, ruff, nbval on every notebook, strict site build"
	@echo "make notebooks  re-execute notebooks in place to refresh their outputs (NB=path to pick)"
	@echo "make benchmark  seconds and peak memory of each notebook (NB=path to pick)"
	@echo "make lab        JupyterLab on the book"
	@echo "make clean      remove the built site;  make distclean also removes .venv"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	@echo "Installing the pinned environment into $(VENV) (the first time takes a few minutes)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed data

data:
	@bash tools/get-data.sh

book: setup
	$(BIN)/jupyter-book build . --path-output .
	@echo
	@echo "The website is built. Open it in a browser:"
	@echo "  file://$(CURDIR)/_build/html/index.html"

test: setup unit lint notebooks-test site-strict
	@echo "make test: all checks passed"

unit: setup
	$(BIN)/python -m pytest -n $(JOBS) tests

lint: setup
	$(BIN)/ruff check src tests tools book

# Every notebook re-executed in a fresh kernel, each output compared with the committed one.
# --dist loadfile keeps a notebook's cells on one worker, in order.
notebooks-test: setup
	$(BIN)/python -m pytest -p no:cacheprovider -n $(JOBS) --dist loadfile \
		--nbval --nbval-current-env --nbval-sanitize-with tools/nbval-sanitize.cfg \
		--nbval-cell-timeout 300 $(NB)

# Sphinx warnings and broken references fail the build.
site-strict: setup
	$(BIN)/jupyter-book build . --path-output . --all --warningiserror --nitpick --keep-going

notebooks: setup
	$(BIN)/python tools/run_notebooks.py --inplace $(NB)

benchmark: setup
	$(BIN)/python tools/run_notebooks.py --benchmark $(NB)

# Jupyter refuses to run as root unless told; containers often run as root.
lab: setup
	$(BIN)/jupyter lab book $(if $(filter 0,$(shell id -u)),--allow-root,)

clean:
	rm -rf _build .pytest_cache

distclean: clean
	rm -rf $(VENV)
