# The two commands of the quick start, `make run` and `make test`, each set up everything
# they need on a fresh Linux machine: system packages (apt-get, when missing), the
# virtualenv in .venv and the Python packages.

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp-install
PYTHON ?= python3

.PHONY: run test bench lint vendor setup system-deps clean

run: setup
	$(VENV)/bin/appkit run examples/todo

test: setup lint
	$(PY) -m pytest

bench: setup
	$(PY) bench/render.py
	$(PY) bench/requests.py
	$(PY) bench/build.py
	$(PY) bench/jobs.py
	$(PY) bench/live.py
	$(PY) bench/components.py

lint: $(STAMP)
	$(VENV)/bin/ruff check appkit shell tests examples bench scripts
	$(VENV)/bin/mypy

vendor: $(STAMP)
	$(PY) scripts/vendor.py

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	@touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
