# GhostWatch: the README's two commands live here (`make run`, `make test`).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := build/demo-logs

.PHONY: run test lint bench demo-logs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## make run: set up and start GhostWatch (on the bundled demo logs when no PBX log directory is configured)
run: $(STAMP) demo-logs
	$(BIN)/ghostwatch scan $(or $(LOGS),$(DEMO))

demo-logs: $(STAMP)
	$(BIN)/python -m ghostwatch.demo.write $(DEMO)

## make test: set up and run the whole test suite (no display needed)
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench

## make bench: throughput and memory against fail2ban-regex (results go to docs/benchmarks.md by hand)
bench: $(STAMP)
	$(BIN)/python bench/scan_throughput.py

clean:
	rm -rf build dist bench/data bench/out .pytest_cache .ruff_cache
