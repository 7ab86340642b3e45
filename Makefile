# `make demo` and `make test` install what is missing first; both are idempotent.
SHELL := /bin/bash
PY := .venv/bin/python
DEMO_OUT ?= $(CURDIR)/demo-out

.PHONY: install demo test lint typecheck pytest services bench clean

install:
	@scripts/bootstrap.sh

services:
	@scripts/services.sh

demo: install
	@scripts/demo.sh "$(DEMO_OUT)"

lint: install
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src

typecheck: install
	$(PY) -m mypy src

pytest: install services
	$(PY) -m pytest -q -ra

test: install services lint typecheck pytest

bench: install services
	$(PY) benchmarks/crawl.py
	$(PY) benchmarks/faults.py
	$(PY) benchmarks/bus.py

clean:
	rm -rf .venv demo-out .mypy_cache .ruff_cache
