# ketanet: the commands the README and CI use. `make help` lists them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
CONSTRAINTS := .ci/constraints.txt
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS)
PORT ?= 8000
export PORT

# Loaded in this order by `make run` (later fixtures refer to earlier ones).
FIXTURES := fixtures/conditions.json fixtures/treatments.json fixtures/people.json fixtures/articles.json
DEMO_PROVIDERS ?= 300

.PHONY: help install install-dev setup run serve test bench screenshots lint format lock clean

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "ketanet needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	$(PYTHON) -m venv $(VENV)

# Stamp files make a second run reuse the environment until the pins change.
$(VENV)/.installed: pyproject.toml $(CONSTRAINTS) | $(PY)
	$(PIP_INSTALL) .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP_INSTALL) '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

install-dev: $(VENV)/.installed-dev ## Also install the dev extra (pytest, ruff, mypy)

setup: export DJANGO_DEBUG ?= 1
setup: install translations ## Migrate and load fixtures and demo data into the local database
	$(MANAGE) migrate --noinput
	$(MANAGE) load_gazetteer
	$(MANAGE) loaddata $(FIXTURES)
	$(MANAGE) seed_demo --providers $(DEMO_PROVIDERS)

run: export DJANGO_DEBUG ?= 1
run: setup ## Set up and serve the site at http://127.0.0.1:$PORT (debug on)
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# Backups of whatever DATABASE_URL points at (PostgreSQL: pg_dump, custom format;
# SQLite: an online copy). BACKUP= names the file (or folder) to write or read.
.PHONY: backup restore
backup: export DJANGO_DEBUG ?= 1
backup: install ## Back up the database to var/backups/ketanet-<date>-<time>.* (or BACKUP=path)
	$(MANAGE) backup $(BACKUP)

restore: export DJANGO_DEBUG ?= 1
restore: install ## Replace the database with BACKUP=path (asks first)
	@test -n "$(BACKUP)" || { echo "Say which backup: make restore BACKUP=var/backups/ketanet-….dump"; exit 2; }
	$(MANAGE) restore $(BACKUP) $(if $(YES),--yes)

# Deletes reports, suggestions and practice updates older than
# MODERATION_RETENTION_DAYS (default 365). Production runs it daily from cron.
.PHONY: purge-moderation
purge-moderation: export DJANGO_DEBUG ?= 1
purge-moderation: install ## Delete moderation items past their retention (DRY_RUN=1 counts only)
	$(MANAGE) purge_moderation $(if $(DRY_RUN),--dry-run)

# Production-like: debug off, fingerprinted static files through WhiteNoise,
# gunicorn. Plain HTTP on loopback, so only the HTTPS redirect and the
# secure-cookie flag are turned off. DJANGO_SECRET_KEY and DATABASE_URL come
# from the environment.
serve: export DJANGO_DEBUG = 0
serve: export DJANGO_SECURE_SSL_REDIRECT = 0
serve: export DJANGO_SECURE_COOKIES = 0
serve: install translations ## Serve like production (gunicorn, debug off) on 127.0.0.1:$PORT
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) migrate --noinput
	exec $(VENV)/bin/gunicorn --config ketanet/gunicorn.conf.py

# axe-core for the accessibility tests and vnu.jar (the Nu HTML Checker, which
# needs Java) for tests/test_html_valid.py, from the npm registry (pinned in the lock).
AXE := tests/browser/node_modules/axe-core/axe.min.js
VNU := tests/browser/node_modules/vnu-jar/build/dist/vnu.jar
$(AXE) $(VNU) &: tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else \
	  echo "npm not found: the accessibility and HTML tests will be skipped (they fail in CI)."; \
	fi
	@command -v java >/dev/null || echo "java not found: the HTML checks will be skipped (they fail in CI)."

test: install-dev translations $(AXE) $(VNU) ## Run the whole test suite (DATABASE_URL selects the database)
	$(VENV)/bin/pytest --ignore=tests/resilience $(PYTEST_ARGS)

# Load and faults against the production server on a PostgreSQL server of its
# own (initdb into a temporary folder, a free port; never the shared one): 64
# connections for RESILIENCE_LOAD_SECONDS (default 60), the database stopped and
# started under load, Redis unreachable. About three minutes; stopped at ten.
.PHONY: resilience
resilience: install-dev ## Load and fault tests (slow; CI runs them), with their figures
	@started=$$(date +%s); \
	env -u DATABASE_URL -u REDIS_URL timeout --signal=INT --kill-after=30 600 \
	  $(VENV)/bin/pytest -v tests/resilience $(PYTEST_ARGS); \
	status=$$?; echo "make resilience: $$(( $$(date +%s) - started )) s in all"; exit $$status

# BENCH_PROVIDERS (default 100000), DATABASE_URL (default: a ketanet_bench_<N>
# database on the local PostgreSQL), BENCH_SECONDS per list of pages (default 20).
# Each size is its own section of docs/performance.md; issue 18's targets name
# three: `make bench`, `BENCH_PROVIDERS=5000 make bench`, `BENCH_PROVIDERS=1000000 make bench`.
bench: install-dev translations ## Benchmark the site at BENCH_PROVIDERS providers; writes docs/performance.md
	$(PY) scripts/bench.py

# The shipped articles against the editorial standards (manage.py check_content),
# in a database of their own so the local one is not touched. CI runs it. To
# check the articles in your own database: `$(MANAGE) check_content`.
.PHONY: check-content
check-content: install ## Check the shipped articles: reading grade, claims, figures, references
	rm -f var/check-content.sqlite3
	@mkdir -p var
	export DJANGO_DEBUG=1 DATABASE_URL=sqlite:///var/check-content.sqlite3; \
	  $(MANAGE) migrate --noinput -v 0 && \
	  $(MANAGE) loaddata -v 0 $(FIXTURES) && \
	  $(MANAGE) check_content; \
	  status=$$?; rm -f var/check-content.sqlite3; exit $$status

screenshots: install-dev translations ## Save screenshots of the site to docs/screenshots/
	$(VENV)/bin/pytest -q tests/browser/take_screenshots.py

lint: install-dev ## Check code style and types (ruff check, format check, mypy)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=1 $(VENV)/bin/mypy

format: install-dev ## Fix what ruff can fix
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: ## Re-pin every dependency to its newest allowed version
	rm -rf var/lock-venv
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check '.[dev]'
	{ echo "# Exact versions for every install; regenerate with 'make lock'."; \
	  var/lock-venv/bin/python -m pip freeze --exclude ketanet; } > $(CONSTRAINTS)
	rm -rf var/lock-venv

clean: ## Remove .venv and build leftovers (keeps the database in var/)
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache var/static

# --- Translations ---------------------------------------------------------------
# locale/es/LC_MESSAGES/*.po are the Spanish catalogues (edited by hand or with a
# PO editor); the compiled .mo files are built from them, never committed.
# compilemessages and makemessages need GNU gettext (Debian: apt-get install gettext).
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
# The admin and the management commands stay in English: not extracted (tests/test_catalogue.py
# extracts with the same list).
I18N_IGNORE := --ignore=.venv --ignore='tests/*' --ignore='docs/*' --ignore='scripts/*' \
  --ignore='var/*' --ignore='templates/admin/*' --ignore='*/admin.py' --ignore='*/admin_*.py' \
  --ignore='*_admin.py' --ignore='*/management/*'

.PHONY: translations messages
translations: $(MO_FILES) ## Compile the Spanish catalogues (compilemessages)

$(MO_FILES): %.mo: %.po | $(PY)
	@command -v msgfmt >/dev/null || { echo "Compiling translations needs GNU gettext (apt-get install gettext)"; exit 1; }
	DJANGO_DEBUG=1 $(MANAGE) compilemessages --ignore=.venv --ignore=tests --ignore=var -v 0

messages: install ## Update the catalogues from the code (makemessages); then translate what is new
	DJANGO_DEBUG=1 $(MANAGE) makemessages -l es --no-obsolete $(I18N_IGNORE)
	DJANGO_DEBUG=1 $(MANAGE) makemessages -l es -d djangojs --no-obsolete $(I18N_IGNORE) --ignore='static/vendor/*'
