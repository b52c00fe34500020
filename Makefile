# Two commands do everything on a fresh machine with Python 3.11+:
#   make demo   set up, generate the sample portfolio, load 12 monthly snapshots, show them
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean bench

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[notebooks,test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/pmo demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_load.py

clean:
	rm -rf $(VENV) data/sample data/*.duckdb data/*.lock reports .pytest_cache
