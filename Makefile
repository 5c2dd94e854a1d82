# Two entry points for a fresh machine: `make demo` (set up + small default job) and
# `make test` (set up + test suite). Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser demo test lint format perf clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/captchagen make --n 1000 --difficulty medium --seed 0 --out data/demo
	$(BIN)/captchagen preview --difficulty all --out data/demo/preview.png
	$(BIN)/crnn predict data/demo/images/0000/000000.png data/demo/images/0000/000001.png --decoder beam:10
	head -3 data/demo/metadata.jsonl
	$(BIN)/bench run --difficulty all --n 200 --out data/demo/bench

# The bench human browser test drives Debian's Chromium; installed here when missing and root
# (CI is); elsewhere the test says why it skips.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver >/dev/null; } || \
	  echo "no chromium: the browser test will be skipped"

test: setup browser
	$(BIN)/python -m pytest -q -n 2

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

perf: setup
	$(BIN)/python -m benchmark.perf_generate

clean:
	rm -rf $(VENV) data
