# `make demo` and `make test` work on a fresh Debian machine with Python 3.11: they create the
# virtual environment and install what is missing first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit docs bench setup clean system-packages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/hullguard -q db import --db $(VENV)/demo-vuln.db examples/shop/advisories
	$(BIN)/hullguard scan examples --db $(VENV)/demo-vuln.db --fail-on never

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src

typecheck: setup
	$(BIN)/mypy src

system-packages:
	bash scripts/install-system-packages.sh

unit: setup system-packages
	bash scripts/run-pytest.sh $(BIN)/python

test: lint typecheck unit

docs: setup
	$(BIN)/python -m hullguard.docs docs

bench: setup
	$(BIN)/python bench/bench_dockerfiles.py
	$(BIN)/python bench/bench_runtime.py
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_host.py
	$(BIN)/python bench/bench_image.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
