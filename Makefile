# BridgePulse: `make demo` and `make test` each install what they need into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest serve migrate bench clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  (echo "BridgePulse needs Python 3.11 or newer (set PYTHON=...)"; exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/bridgepulse demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check bot handlers storage server demo tests benchmarks
	$(BIN)/ruff format --check bot handlers storage server demo tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict bot handlers storage server demo

pytest: $(STAMP)
	$(BIN)/pytest -q

serve: $(STAMP)
	$(BIN)/bridgepulse serve

migrate: $(STAMP)
	$(BIN)/bridgepulse migrate

# Every benchmark (many minutes; not part of `make test`), then BENCHMARKS.md from the results.
# The scale benchmark reuses its loaded 10,000-channel dataset when the shape is unchanged, and
# evicts it from the OS page cache first (--cold), so its figures are the uncached worst case.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.clicks --backend sqlite
	$(BIN)/python -m benchmarks.clicks --backend postgres
	$(BIN)/python -m benchmarks.fanout --backend sqlite
	$(BIN)/python -m benchmarks.fanout --backend postgres
	$(BIN)/python -m benchmarks.scale --backend sqlite --reuse --cold
	$(BIN)/python -m benchmarks.scale --backend postgres --reuse --cold
	$(BIN)/python -m benchmarks.validity
	$(BIN)/python -m benchmarks.next_steps
	$(BIN)/python -m benchmarks.report

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info
