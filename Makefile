# GO MASK — two commands: `make run` (portal with demo data) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

# make test talks to real services; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gomask
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_ENV := GOMASK_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	DJANGO_ALLOW_ASYNC_UNSAFE=true GEOCODER_BACKEND=none

.PHONY: scale-smoke run test smoke venv migrate demo totp worker beat lint format check-services chromium bench vendor territories-data messages clean lock lock-check vendor-check test-pgbouncer

# Runtime + dev dependencies, every file checked against the hashes of the lock.
$(VENV)/.installed: requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_territories --if-changed
	$(PY) manage.py seed_demo

totp: venv
	@$(PY) manage.py demo_totp

# The beat schedule's jobs (option expiries, reminders, roll-ups) run in a second process,
# in-process and without Redis; it stops with the server. PORT also reaches the settings:
# e-mailed links (SITE_URL) point at the port served here.
run: demo
	PORT=$(PORT) $(PY) manage.py run_scheduled_jobs & jobs=$$!; trap "kill $$jobs 2>/dev/null" EXIT INT TERM; \
	PORT=$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

check-services: venv
	@$(TEST_ENV) $(PY) scripts/check_services.py

chromium:
	@bash scripts/ensure_chromium.sh

# The suite runs on PYTEST_WORKERS processes (pytest-xdist; default: the number of cores, at
# most 8): each worker has its own test database (test_<name>_gw0, ...) and Redis database
# (gomask/env.py per_worker_redis_url); a module's tests stay on one worker (--dist loadfile).
# PYTEST_WORKERS=0 runs the suite serially in one process.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 8 ] && n=8; echo $$n)
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),-n 0,-n $(PYTEST_WORKERS) --dist loadfile)
test: venv chromium check-services
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The concurrency and export tests again, through PgBouncer in transaction pooling mode
# (scripts/pgbouncer.sh; Debian: apt-get install pgbouncer). The test database is kept
# (--reuse-db): PgBouncer still holds server connections to it when pytest would drop it.
PGBOUNCER_PORT ?= 6439
PGBOUNCER_DATABASE_URL ?= postgres://postgres@127.0.0.1:$(PGBOUNCER_PORT)/gomask_pgbouncer
PGBOUNCER_TESTS ?= tests/concurrency tests/pharmacies/test_stock_concurrency.py \
	tests/consultations/test_concurrency.py tests/dashboards/test_export_transaction_pooling.py \
	tests/gomask/test_database_pooling.py
test-pgbouncer: venv check-services
	PGBOUNCER_PORT=$(PGBOUNCER_PORT) bash scripts/pgbouncer.sh start >/dev/null
	$(TEST_ENV) DATABASE_URL=$(PGBOUNCER_DATABASE_URL) DATABASE_POOL_MODE=transaction \
		$(PY) -m pytest --reuse-db -q $(PGBOUNCER_TESTS); status=$$?; bash scripts/pgbouncer.sh stop; exit $$status

# The `make run` configuration (SQLite, tasks in-process, demo data) on a scratch database.
SMOKE_ENV := GOMASK_ENV=development DATABASE_URL=sqlite:///$(CURDIR)/.smoke.sqlite3 GEOCODER_BACKEND=none \
	REDIS_URL= CELERY_BROKER_URL=
smoke: venv chromium
	rm -f .smoke.sqlite3
	$(SMOKE_ENV) $(PY) manage.py migrate --noinput -v0
	$(SMOKE_ENV) $(PY) manage.py load_territories
	$(SMOKE_ENV) $(PY) manage.py seed_demo --quiet-logins
	$(SMOKE_ENV) $(PY) scripts/smoke_make_run.py
	rm -f .smoke.sqlite3

worker: venv
	$(PY) -m celery -A gomask worker --loglevel=INFO --concurrency=2

beat: venv
	$(PY) -m celery -A gomask beat --loglevel=INFO

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache  # import directions: [tool.importlinter] in pyproject.toml
	$(PY) scripts/validate_manifests.py  # deploy/kubernetes against the Kubernetes and CloudNativePG schemas
	$(PY) scripts/validate_compose.py  # docker-compose.yml: commands, variables, ports, healthchecks, depends_on

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: venv check-services
	@$(TEST_ENV) PY=$(PY) bench/run_all.sh

vendor:
	bash scripts/vendor_assets.sh

# static/vendor/ is what package-lock.json produces (npm; recorded checksums when offline).
vendor-check:
	bash scripts/vendor_assets.sh --check

# pyproject.toml is the source of truth: regenerate requirements.lock (runtime, the Docker
# image) and requirements-dev.lock (make run/test) after changing it or merging branches.
lock:
	@test -x $(VENV)/bin/uv || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PIP) install --quiet uv; }
	bash scripts/lock.sh

lock-check:
	@test -x $(VENV)/bin/uv || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PIP) install --quiet uv; }
	bash scripts/lock.sh --check

territories-data: venv
	$(PY) manage.py build_territories_data

# Translation catalogues (French source texts, English in locale/en). Needs GNU gettext; the
# compiled .mo files are committed, so `make run` does not.
MESSAGES_OPTIONS := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static/vendor --no-obsolete
messages: venv
	$(PY) manage.py makemessages -l en $(MESSAGES_OPTIONS)
	$(PY) manage.py makemessages -d djangojs -l en $(MESSAGES_OPTIONS)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# Two web nodes behind haproxy, PgBouncer, a streaming replica (pg_basebackup), two Celery
# workers and beat, all on loopback; five checks through the proxy (scripts/scale_smoke.py).
# Needs root (PostgreSQL's tools run as the postgres user) and Debian's haproxy and pgbouncer.
# Ports from SCALE_SMOKE_PORT_BASE (17340) up, below the ephemeral range; Redis databases
# SCALE_SMOKE_REDIS_DBS (14,15,13: cache, broker, e-mail sink). The trap stops whatever the run
# left, even when it was killed.
scale-smoke: venv check-services
	trap '$(PY) scripts/scale_smoke.py --cleanup' EXIT; $(PY) scripts/scale_smoke.py
