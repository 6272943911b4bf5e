# fiscus developer tasks. `make install` once, then `make serve` runs the whole product
# (embedded PostgreSQL and Redis unless FISCUS_DATABASE_URL / FISCUS_REDIS_URL are set).

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test test-fast lint bench

$(PY):
	$(PYTHON) -m venv $(VENV)

install: $(PY)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'

serve:
	$(PY) -m fiscus serve --host $(HOST) --port $(PORT) --demo

test:
	scripts/test

test-fast:
	$(PY) -m pytest -m "not slow"

lint:
	$(BIN)/ruff check fiscus tests bench
	$(BIN)/mypy fiscus
	$(BIN)/lint-imports

bench:
	PYTHONPATH=. $(PY) bench/me_throughput.py
	PYTHONPATH=. $(PY) bench/cold_start.py
