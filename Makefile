# zundapod: `make run` serves the site with demo content; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run dev setup secret-key node-tools test test-slow test-fuzz test-postgres test-e2e lint format bench bench-feed bench-letters bench-import bench-search bench-scaleout bench-upload bench-audience clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# A secret key generated once into the untracked .env, kept across runs.
secret-key:
	@touch .env
	@grep -qE '^DJANGO_SECRET_KEY=.' .env || \
		echo "DJANGO_SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" >> .env

setup: $(VENV)/.runtime secret-key
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py seed_demo_downloads
	$(BIN)/python manage.py ensure_admin

# X-Forwarded-For/-Proto are believed only from the proxies FORWARDED_ALLOW_IPS names; unset, from
# nobody (uvicorn's own default trusts 127.0.0.1, so any local client could pick its address).
# The Procfile's web line reads UVICORN_PROXY_FLAGS.
UVICORN_PROXY_FLAGS = $(if $(FORWARDED_ALLOW_IPS),--proxy-headers --forwarded-allow-ips=$(FORWARDED_ALLOW_IPS),--no-proxy-headers)

# The web server and the background worker (Procfile) under honcho; Ctrl+C stops both.
# WEB_CONCURRENCY: the environment, else .env, else one process per core. .env is read by
# the processes themselves (settings.py), so honcho is told not to load it (the environment wins).
run: setup
	@echo "http://127.0.0.1:$(PORT)/ を開いてください（管理画面は /admin/）。Ctrl+C で Web とワーカーを停止します。"
	ZUNDAPOD_PORT=$(PORT) UVICORN_PROXY_FLAGS="$(UVICORN_PROXY_FLAGS)" WEB_CONCURRENCY=$${WEB_CONCURRENCY:-$$(sed -n 's/^WEB_CONCURRENCY=//p' .env | tail -n1)} \
		$(BIN)/honcho --no-colour -e /dev/null -f Procfile start

dev: $(VENV)/.dev secret-key
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_demo
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo_downloads
	DJANGO_DEBUG=1 $(BIN)/python manage.py ensure_admin
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Podcast Index's feed parser (podcast-partytime) and a strict WebVTT validator, installed
# into tests/node/ for the feed tests; without npm those tests are skipped and say why.
NODE_TOOLS := tests/node/node_modules/.installed
$(NODE_TOOLS): tests/node/package.json tests/node/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/node --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm がないので tests/node の検証ツールは入れません（それを使うテストはスキップされます）。"; fi

node-tools: $(NODE_TOOLS)

test: $(VENV)/.dev $(NODE_TOOLS) lint
	DJANGO_SECRET_KEY=make-test-only-not-a-secret $(BIN)/python manage.py check --fail-level WARNING
	DJANGO_SECRET_KEY=make-test-only-not-a-secret $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# Benchmark-sized tests (a 100 MB upload, the S3 server): CI runs them in a step of their own.
test-slow: $(VENV)/.dev
	$(BIN)/pytest -m slow

# The fuzz suite with many more generated examples than make test's 15 (CI runs it).
FUZZ_EXAMPLES ?= 150
test-fuzz: $(VENV)/.dev
	ZUNDAPOD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/test_fuzz.py

# Benchmarks print their figures; each uses its own temporary database.
bench: bench-feed bench-letters bench-import bench-search bench-upload

# Slow listeners, the full-archive feed, cached pages and memory after edits (15-25 minutes: 200 whole
# 20 MB downloads at 64 KB/s, then 100 edits each rebuilding five feeds; --phases and --download-mb shorten it).
bench-audience: $(VENV)/.dev
	$(BIN)/python bench/audience.py

# A 100 MB MP3 through the publishing API: the server's memory must stay flat.
bench-upload: $(VENV)/.dev
	$(BIN)/python bench/upload.py

# Two app servers sharing PostgreSQL, Redis and an S3 server (needs PostgreSQL and Redis running).
bench-scaleout: $(VENV)/.dev
	$(BIN)/python bench/scaleout.py

# 100,000 generated requests through the audio endpoints, counted two ways; throughput with recording on and off.
.PHONY: bench-analytics
bench-analytics: $(VENV)/.dev
	$(BIN)/python bench/analytics.py

bench-search: $(VENV)/.dev
	$(BIN)/python bench/search.py

bench-import: $(VENV)/.dev
	$(BIN)/python bench/import.py

bench-feed: $(VENV)/.dev
	$(BIN)/python bench/feed.py

bench-letters: $(VENV)/.dev
	$(BIN)/python bench/letters_load.py

# phones (issue 25): page weight at 390 px with a 3000 px show artwork, cache off (headless chromium).
.PHONY: bench-page-weight
bench-page-weight: $(VENV)/.dev
	$(BIN)/python bench/page_weight.py

# axe-core (npm) for the accessibility checks, into tests/e2e/node_modules only; skipped without npm.
E2E_AXE := tests/e2e/node_modules/.installed
$(E2E_AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm がないので axe-core は入れません（axe の検査はスキップされます）。"; fi

# Browser journeys of an editor and a listener in headless chromium (Debian's; skipped without it).
test-e2e: $(VENV)/.dev $(E2E_AXE)
	$(BIN)/pytest tests/e2e

# The whole suite again on the scale-out parts: PostgreSQL and Redis (both must be running).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/zundapod
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
test-postgres: $(VENV)/.dev $(NODE_TOOLS)
	DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest

# docs/deploy.md followed on this machine with the files in deploy/ (needs root for nginx, PostgreSQL
# and Redis on 127.0.0.1): units' commands, nginx, graceful reload under load, backup, restore, same bytes.
.PHONY: test-deploy
test-deploy: $(VENV)/.dev
	$(BIN)/python deploy/check.py

# The site as `make run` serves it with Redis killed, PostgreSQL stopped and a full var/ (tests/faults/):
# it starts its own PostgreSQL cluster, redis-server and tmpfs, so it needs their binaries and root for the mount.
.PHONY: test-faults
test-faults: $(VENV)/.dev
	$(BIN)/pytest tests/faults -m faults -p no:cacheprovider -s

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
