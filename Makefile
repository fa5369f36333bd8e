# OptiCall's front door: `make help` lists the targets. CI calls the same targets a person does.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv is installed from PyPI when missing; `python3 -m uv` works wherever pip put it.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_ARGS ?=

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: uv
uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv

.PHONY: install
install: uv ## Install Python 3.11 deps of every service into .venv (from uv.lock)
	@$(UV) sync --all-packages --frozen --quiet

.PHONY: kafka
kafka: ## Start the local Kafka broker (KRaft) unless KAFKA_BOOTSTRAP_SERVERS is set
	@scripts/kafka.sh start

.PHONY: postgres
postgres: ## Start the local PostgreSQL cluster unless DATABASE_URL is set
	@scripts/postgres.sh start

.PHONY: run
run: install kafka ## Start Kafka and the five services; gateway at http://127.0.0.1:5000 (Ctrl-C stops)
	@eval "$$(scripts/kafka.sh env)"; export OPTICALL_ENV=$${OPTICALL_ENV:-development}; \
	$(UV) run --frozen python scripts/devstack.py

.PHONY: test
test: install kafka postgres ## Unit and integration tests against real Kafka and PostgreSQL
	@eval "$$(scripts/kafka.sh env)"; eval "$$(scripts/postgres.sh env)"; \
	$(UV) run --frozen pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

.PHONY: unit
unit: install ## Unit tests only (no broker or database needed)
	@$(UV) run --frozen pytest -m "not integration" libs services

.PHONY: lint
lint: install ## ruff and mypy
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@$(UV) run --frozen mypy libs/common/src services/*/src

LOAD_HOST ?= http://127.0.0.1:5000
LOAD_USERS ?= 200
LOAD_RATE ?= 20
LOAD_TIME ?= 120s

.PHONY: load
load: install ## Load test (Locust, headless) against a running suite (make run); report in reports/load*
	@mkdir -p reports
	@$(UV) run --frozen locust -f bench/load/locustfile.py --host $(LOAD_HOST) --headless \
		-u $(LOAD_USERS) -r $(LOAD_RATE) -t $(LOAD_TIME) --only-summary \
		--csv reports/load --html reports/load.html

.PHONY: web
web: ## Re-vendor uPlot from npm into the gateway's static folder (the dashboard source lives there)
	@npm ci --prefix tools/dashboard --no-audit --no-fund
	@npm run --prefix tools/dashboard build

.PHONY: browser
browser: install kafka postgres ## Browser tests of the dashboard in headless Chromium
	@tools/dashboard/scripts/ensure-chromium.sh
	@eval "$$(scripts/kafka.sh env)"; eval "$$(scripts/postgres.sh env)"; \
	$(UV) run --frozen pytest -m browser tests/browser

.PHONY: schemas
schemas: install ## Regenerate the event JSON Schemas and the AsyncAPI document
	@$(UV) run --frozen python -m opticall_common.schemas

.PHONY: bench
bench: install kafka postgres ## Run the benchmarks under bench/ and print a table of ratios
	@eval "$$(scripts/kafka.sh env)"; eval "$$(scripts/postgres.sh env)"; \
	$(UV) run --frozen python bench/run.py

.PHONY: stop
stop: ## Stop the local Kafka broker and PostgreSQL cluster
	@scripts/kafka.sh stop || true
	@scripts/postgres.sh stop || true

.PHONY: clean
clean: stop ## Stop infrastructure and remove local state (.local)
	rm -rf .local
