# `make demo` and `make test` install what is missing first; both are idempotent.
SHELL := /bin/bash
PY := .venv/bin/python
DEMO_OUT ?= $(CURDIR)/demo-out

.PHONY: install wheel-venv demo test lint typecheck pytest services bench gauntlet clean

install:
	@scripts/bootstrap.sh

services:
	@scripts/services.sh

# The wheel, built from this tree and installed without the dev extra into a venv of its own
# (.venv/wheel/current; cached by a hash of its dependencies): tests/system/test_wheel_install.py
# runs `qaforge run` with it.
wheel-venv: install
	@scripts/wheel-venv.sh >/dev/null

demo: install
	@scripts/demo.sh "$(DEMO_OUT)"

lint: install
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src
	.venv/bin/lint-imports --no-cache

typecheck: install
	$(PY) -m mypy src

# The wheel venv is prepared here (a failure stops make test), and the test uses that one.
# Two xdist workers: the suite waits on browsers, servers and subprocesses more than it
# computes (one process kept two cores 60-70 % idle); the tests sharing an expensive session
# fixture stay on one worker (tests/conftest.py), so nothing is crawled twice.
pytest: install services
	venv=$$(scripts/wheel-venv.sh) && QAFORGE_WHEEL_VENV="$$venv" $(PY) -m pytest -q -ra \
	  --durations=25 -n 2 --dist loadgroup

test: install services lint typecheck pytest

bench: install services
	$(PY) benchmarks/crawl.py
	$(PY) benchmarks/faults.py
	$(PY) benchmarks/coverage.py
	$(PY) benchmarks/recheck.py
	$(PY) benchmarks/bus.py

# The installed qaforge against the demo shop and every app of ../shared/realapps.
gauntlet: install wheel-venv
	$(PY) benchmarks/realapps.py

clean:
	rm -rf .venv demo-out .mypy_cache .ruff_cache
