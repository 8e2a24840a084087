# Two commands: `make run` and `make test`. Everything else here is what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000
HOST ?= 127.0.0.1
JOB_WORKERS ?= 2
PG_BIN ?= /usr/lib/postgresql/15/bin
# The app builds its links from these when PUBLIC_URL is unset (config.py); gunicorn.conf.py
# binds to them and reads WEB_WORKERS (default: two per core).
export HOST PORT
# axe-core for the accessibility checks of the browser suite (tests/test_accessibility.py):
# installed once from the npm registry, never downloaded while the tests run.
AXE_VERSION := 4.14.1
AXE := .cache/axe/node_modules/axe-core/axe.min.js

.PHONY: run test setup translations database demo system-test-deps lint messages zoom-standin bbb-standin

run: setup demo
	@echo
	@echo "  Convene is starting on http://$(HOST):$(PORT)"
	@echo "  Sign in as admin@convene.test with the password convene-demo"
	@echo "  (host@convene.test and member@convene.test use the same password). Ctrl-C stops both."
	@echo
	@trap 'kill $$(jobs -p) 2>/dev/null; wait; exit 0' INT TERM; \
	trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	$(BIN)/huey_consumer tasks.huey -k thread -w $(JOB_WORKERS) & \
	$(BIN)/gunicorn -c gunicorn.conf.py & \
	wait -n

test: setup system-test-deps $(AXE)
	$(BIN)/ruff check .
	$(BIN)/pytest

setup: $(VENV)/.installed translations database

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

database: $(VENV)/.installed
	$(FLASK) migrate

demo: database
	$(FLASK) seed-demo

# axe-core (AXE, AXE_VERSION above) for the accessibility checks of the browser suite
$(AXE):
	npm install --no-save --no-audit --no-fund --prefix .cache/axe axe-core@$(AXE_VERSION)

# Debian's Chromium for the browser tests, PostgreSQL 15 and Redis for the scale-out tests,
# wrk for the benchmarks' HTTP load (and the test of their driver).
system-test-deps:
	@command -v chromium >/dev/null && command -v redis-server >/dev/null && command -v wrk >/dev/null && test -x $(PG_BIN)/initdb && ldconfig -p | grep -q libpangoft2 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium postgresql redis-server wrk libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }

# Developers: re-extract strings after changing them, then translate translations/ru/.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --ignore-dirs=".venv migrations tests bench .git docs" .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# The local Zoom stand-in (OAuth, REST, signed webhooks) for trying Zoom days by hand; it
# prints the ZOOM_* variables to give `make run` (README, "Zoom conferences").
ZOOM_STANDIN_PORT ?= 9100
zoom-standin: $(VENV)/.installed
	$(BIN)/python tests/zoom_standin.py --port $(ZOOM_STANDIN_PORT)

# The local BigBlueButton stand-in (the API, recordings, and the callbacks a server makes
# after a meeting) for trying BigBlueButton sessions by hand; it prints the BBB_* variables
# to give `make run` (README, "BigBlueButton recordings and attendance").
BBB_STANDIN_PORT ?= 9200
bbb-standin: $(VENV)/.installed
	$(BIN)/python tests/bbb_standin.py --port $(BBB_STANDIN_PORT)
