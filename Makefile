# Socialcraft — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=


.PHONY: bench
.PHONY: help setup run run-stack demo-sso test lint check suite e2e test-postgres test-future clean upgrade lock lock-check

help:
	@echo "make run            set up, migrate, import content/, create demo users, serve http://127.0.0.1:8000"
	@echo "make run-stack      the same with Redis, a Celery worker and beat (honcho; Ctrl-C stops all)"
	@echo "make demo-sso       beside make run: a local SAML provider signs in the demo organisation"
	@echo "make test           lint + Django checks + the whole test suite (starts its own Redis)"
	@echo "make e2e            only the browser tests (Chromium)"
	@echo "make test-postgres  the suite again on a throw-away PostgreSQL cluster"
	@echo "make test-future    the suite with the clock moved 200 and 400 days ahead"
	@echo "make upgrade        re-resolve requirements/*.txt to the newest versions pyproject.toml allows"
	@echo "make run PORT=8001 HOST=0.0.0.0   serve elsewhere (HOST is added to ALLOWED_HOSTS)"

# The environment holds exactly the versions in requirements/dev.txt (hashes checked), then the
# project itself, built from the locked setuptools without fetching anything unpinned.
$(STAMP): requirements/dev.txt pyproject.toml
	@test -x $(PY) || { python=$$(scripts/find-python) && echo "Creating $(VENV) with $$python" && $$python -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

# Regenerate the lock files from pyproject.toml's ranges (newest versions that fit, for every
# platform and Python >= 3.12), then reinstall. Commit the lock on its own: CI shows what changed.
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.12 --generate-hashes --custom-compile-command "make upgrade" pyproject.toml
# The tools the suite runs in their own environments (scripts/tool-venv), each locked the same
# way from requirements/<tool>.in: the SCIM compliance checker, the xAPI learning record store.
TOOLS = scim-checker ralph
UV_COMPILE_TOOL = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.12 --generate-hashes --custom-compile-command "make lock"
upgrade: setup
	$(UV_COMPILE) --upgrade --extra build -o requirements/base.txt
	$(UV_COMPILE) --upgrade --extra build --extra dev -o requirements/dev.txt
	for tool in $(TOOLS); do $(UV_COMPILE_TOOL) --upgrade requirements/$$tool.in -o requirements/$$tool.txt || exit 1; done
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/dev.txt
	@touch $(STAMP)
	@git diff --stat -- requirements/ || true

# Fail when pyproject.toml changed without `make lock` (CI runs it): re-resolving keeps every
# pin that still fits, so any difference means the lock is stale.
lock-check: setup
	@tmp=$$(mktemp -d) && cp requirements/*.txt $$tmp/ && stale=0; \
	  $(UV_COMPILE) --extra build -o $$tmp/base.txt && \
	    diff -u requirements/base.txt $$tmp/base.txt || stale=1; \
	  $(UV_COMPILE) --extra build --extra dev -o $$tmp/dev.txt && \
	    diff -u requirements/dev.txt $$tmp/dev.txt || stale=1; \
	  for tool in $(TOOLS); do \
	    $(UV_COMPILE_TOOL) requirements/$$tool.in -o $$tmp/$$tool.txt && \
	      diff -u requirements/$$tool.txt $$tmp/$$tool.txt || stale=1; \
	  done; rm -rf $$tmp; \
	  if [ $$stale -eq 0 ]; then echo "requirements/ matches pyproject.toml"; \
	  else echo "requirements/ is stale: run make lock and commit it" >&2; exit 1; fi

# Re-resolve after a change to pyproject.toml, keeping every pin that still fits.
lock: setup
	$(UV_COMPILE) --extra build -o requirements/base.txt
	$(UV_COMPILE) --extra build --extra dev -o requirements/dev.txt
	for tool in $(TOOLS); do $(UV_COMPILE_TOOL) requirements/$$tool.in -o requirements/$$tool.txt || exit 1; done

HOST ?= 127.0.0.1
PORT ?= 8000

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py import_content content/
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_activity
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C to stop)"
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost,$(HOST)} \
	  $(PY) manage.py runserver $(HOST):$(PORT)

# Company sign-in to try under `make run` (in a second terminal): a local SimpleSAMLphp signs
# in the demo organisation's example.com addresses until Ctrl-C (scripts/demo-sso).
demo-sso: setup
	scripts/system-packages
	$(PY) scripts/demo-sso

# The full stack: Redis on loopback, the web server, a Celery worker and beat; Ctrl-C stops all.
run-stack: setup
	scripts/system-packages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py import_content content/
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_activity
	# -e /dev/null: a .env made from .env.example (production settings) must not switch the
	# local stack to them; the app reads its settings from the environment only.
	REDIS_URL=redis://127.0.0.1:6390/0 $(VENV)/bin/honcho start -f Procfile.dev -e /dev/null

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check: setup
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

suite: setup
	scripts/system-packages
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint check suite

# The whole suite with the clock moved 200, then 400 days ahead (time-machine, for every clock
# Python reads; see tests/conftest.py): a test that mixes a written date with today fails here.
test-future: setup
	scripts/system-packages
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest --clock-offset-days=200 $(PYTEST_ARGS)
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest --clock-offset-days=400 $(PYTEST_ARGS)

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
