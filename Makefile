# halsosupport: `make run` starts everything with demo data; `make test` runs the whole suite.
# Both create the virtualenv (.venv) and install on first use; `make test` also installs
# Debian's chromium for the browser tests when it is missing. Nothing else needs installing.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
	&& echo $$p && break; done)
PYTHON := $(PYTHON)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DOMAIN := schemas halsosupport/localtime.py services/*/domain.py services/intake/personnummer.py \
	services/cases/access.py \
	services/triggers/windows.py services/triggers/handlers.py services/triggers/policy.py \
	services/triggers/timed.py services/stats/day_counts.py services/stats/views.py \
	services/stats/report_views.py services/stats/figures.py \
	services/intake/sms_commands.py services/intake/voice_flow.py

.PHONY: help install run test lint format clean bench chaos chromium

help:
	@echo "make run     set up and run the whole system with demo data (Ctrl-C stops it)"
	@echo "make test    set up and run lint, unit, integration and end-to-end tests"
	@echo "make lint    ruff and mypy only"
	@echo "make bench   benchmarks; they print their figures and a table (JSON in bench/results/)"
	@echo "make chaos   the fault scenarios at full size (make test runs them small)"
	@echo "make format  format the code with ruff"
	@echo "make clean   remove the virtualenv and var/ (data, logs, mail)"

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/halsosupport run

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(DOMAIN)

# Two pytest-xdist workers: most tests wait on a broker or a process, not the CPU. The tests
# that start the whole system run one after another on one of them (tests/conftest.py).
test: lint chromium
	$(BIN)/pytest -n 2 --dist loadgroup

# The browser tests drive Debian's chromium (never a browser Playwright would download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		command -v apt-get >/dev/null 2>&1 \
			|| { echo "error: the browser tests need Chromium; install it"; exit 1; }; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		echo "installing Debian's chromium for the browser tests"; \
		$$sudo apt-get update -qq \
			&& $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Each benchmark prints its figures and writes bench/results/<name>.json; the last line prints
# them all as one table. locust (the `bench` extra) is installed on first use.
bench: $(INSTALLED)
	@$(BIN)/python -c 'import locust' >/dev/null 2>&1 \
		|| $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	HALSOSUPPORT_LOG_LEVEL=WARNING $(BIN)/python -m bench.replay
	HALSOSUPPORT_LOG_LEVEL=WARNING $(BIN)/python -m bench.stats_latency
	HALSOSUPPORT_LOG_LEVEL=WARNING $(BIN)/python -m bench.stats_reports
	$(BIN)/python -m bench.broker_limit
	$(BIN)/python -m bench.intake_load
	$(BIN)/python -m bench.end_to_end
	$(BIN)/python -m bench

# The fault scenarios at full size; `make test` runs the same scenarios with small sizes.
chaos: $(INSTALLED)
	CHAOS_SMALL=0 $(BIN)/pytest tests/chaos -m chaos

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var
