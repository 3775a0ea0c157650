# Socialcraft — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=


.PHONY: bench
.PHONY: help setup run run-stack test lint check suite e2e test-postgres clean

help:
	@echo "make run            set up, migrate, import content/, create demo users, serve http://127.0.0.1:8000"
	@echo "make run-stack      the same with Redis, a Celery worker and beat (honcho; Ctrl-C stops all)"
	@echo "make test           lint + Django checks + the whole test suite (starts its own Redis)"
	@echo "make e2e            only the browser tests (Chromium)"
	@echo "make test-postgres  the suite again on a throw-away PostgreSQL cluster"

$(STAMP): pyproject.toml
	@test -x $(PY) || { python=$$(scripts/find-python) && echo "Creating $(VENV) with $$python" && $$python -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py import_content content/
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_activity
	@echo "Serving on http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(PY) manage.py runserver 127.0.0.1:8000

# The full stack: Redis on loopback, the web server, a Celery worker and beat; Ctrl-C stops all.
run-stack: setup
	scripts/system-packages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py import_content content/
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_activity
	REDIS_URL=redis://127.0.0.1:6390/0 $(VENV)/bin/honcho start -f Procfile.dev

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: setup
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

suite: setup
	scripts/system-packages
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint check suite

e2e: setup
	scripts/system-packages
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -m e2e $(PYTEST_ARGS)

test-postgres: setup
	scripts/system-packages
	scripts/with-postgres $(MAKE) suite

# Throughput and latency against a bare Django view in the same run (see bench/README.md).
bench: setup
	@command -v wrk >/dev/null || scripts/system-packages --bench
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache test-artifacts

# Supply chain and code: pip-audit over the installed environment, bandit (medium and high
# severity) over the apps; exceptions with a reason and a date in .audit-ignore. Exits 3 when
# the vulnerability database can't be reached (AUDIT_UNREACHABLE=warn turns that into a warning).
.PHONY: audit
audit: setup
	$(PY) scripts/audit --python $(PY)
