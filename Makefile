# Two commands do everything on a fresh machine with Python 3.11+:
#   make demo   set up, generate the sample portfolio, load 12 monthly snapshots, serve the dashboards
#   make test   set up (Debian's chromium and a Java runtime included, for the browser and schedule
#               tests), then run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install browser java clean bench screenshots

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[notebooks,schedules,test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/pmo demo
	$(BIN)/pmo serve

# Two worker processes, each running whole test files (a file's module fixtures, its packs, servers and
# browser, are built once): on 2 cores the kernels' and browsers' waits overlap with other files' tests.
# TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= 2

test: install browser java
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The browser tests drive Debian's chromium (Playwright's own browser download is not reachable here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }

# Schedules other than MS Project XML are read by MPXJ, which needs a Java runtime.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; \
	  else echo "The schedule tests need a Java runtime: sudo apt-get install default-jre-headless"; exit 1; fi; }

bench: install
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_metrics.py
	$(BIN)/python benchmarks/bench_dashboards.py

# The README's pictures: figures from the demo data, and the dashboards as the browser tests see them.
screenshots: install browser
	$(BIN)/python scripts/screenshots.py
	PMO_SCREENSHOTS=docs $(BIN)/python -m pytest tests/test_dashboards_browser.py -q
	PMO_SCREENSHOTS=docs $(BIN)/python -m pytest tests/test_pages_browser.py -q -k "dashboard and uk and (overview or budget)"

clean:
	rm -rf $(VENV) data/sample data/*.duckdb data/*.lock reports .pytest_cache
