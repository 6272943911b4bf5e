# fiscus developer tasks. `make install` once, then `make serve` runs the whole product
# (embedded PostgreSQL and Redis unless FISCUS_DATABASE_URL / FISCUS_REDIS_URL are set).

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test test-fast lint bench lock lock-upgrade

$(PY):
	$(PYTHON) -m venv $(VENV)

LOCK := requirements/lock.txt
PIP_COMPILE := $(BIN)/pip-compile --quiet --strip-extras --annotation-style=line \
	--no-emit-index-url --no-emit-find-links --unsafe-package fiscus \
	--extra dev --extra embedded --output-file $(LOCK) pyproject.toml

install: $(PY)
	$(PY) -m pip install -c $(LOCK) pip
	$(PY) -m pip install -c $(LOCK) -e '.[dev]'

# The resolved dependency set every install uses (README, scripts/test, Dockerfile).
# `lock` keeps existing pins where pyproject.toml still allows them; `lock-upgrade` moves
# every pin to the newest allowed version. Commit the result with pyproject.toml.
lock: $(PY)
	$(PY) -m pip install --quiet -c $(LOCK) pip-tools
	$(PIP_COMPILE)

lock-upgrade: $(PY)
	$(PY) -m pip install --quiet -c $(LOCK) pip-tools
	$(PIP_COMPILE) --upgrade

serve:
	$(PY) -m fiscus serve --host $(HOST) --port $(PORT) --demo

test:
	scripts/test

test-fast:
	$(PY) -m pytest -m "not slow"

lint:
	$(BIN)/deptry fiscus alembic
	$(BIN)/deptry fiscus tests bench alembic --ignore DEP004
	$(BIN)/ruff check fiscus tests bench
	$(BIN)/mypy fiscus
	$(BIN)/lint-imports

bench:
	PYTHONPATH=. $(PY) bench/me_throughput.py
	PYTHONPATH=. $(PY) bench/cold_start.py
