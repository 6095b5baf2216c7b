# warroom: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("warroom needs Python 3.11 or newer; set PYTHON=python3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/warroom serve --demo

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy src

format: install
	$(BIN)/ruff check --fix src tests bench tools
	$(BIN)/ruff format src tests bench tools

screenshots: install
	$(BIN)/python tools/screenshots.py screenshots

bench: install
	$(BIN)/python bench/api_declare.py
	$(BIN)/python bench/runbook_match.py
	$(BIN)/python bench/runbook_match.py --data tests/data/runbook_holdout.jsonl
	$(BIN)/python bench/escalation.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/notify.py
	$(BIN)/python bench/status_page.py
	$(BIN)/python bench/web_pages.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
