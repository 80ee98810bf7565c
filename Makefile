# redisbank: every target below is listed, with its description, by `make help`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))
BUILD := build

.DEFAULT_GOAL := help
.PHONY: help install server stop run test lab api bench serve lint clean

help: ## List the targets with what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(INSTALLED) ## Create .venv and install redisbank with its notebook and test tools

$(INSTALLED): pyproject.toml
	@echo "installing redisbank and its tools into $(VENV) (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,test,dev]'
	@touch $@

server: install ## Start the embedded Redis Stack, or check the server REDIS_URL names
	@if [ -z "$$REDIS_URL" ]; then $(BIN)/redisbank server start; fi
	@$(BIN)/redisbank ping

stop: install ## Stop the embedded Redis Stack; its data stays in .redisbank/
	$(BIN)/redisbank server stop

run: server ## Execute the notebooks in order into build/notebooks, charts into build/figures
	@rm -rf $(BUILD)/notebooks $(BUILD)/figures
	@mkdir -p $(BUILD)/notebooks
	@for notebook in $(NOTEBOOKS); do \
		echo "running $$notebook"; \
		$(BIN)/papermill --no-progress-bar --log-level WARNING --kernel python3 --cwd notebooks \
			"$$notebook" "$(BUILD)/notebooks/$$(basename $$notebook)" || exit 1; \
	done
	@echo "executed notebooks: $(BUILD)/notebooks/"
	@ls -1 $(BUILD)/notebooks/*.ipynb | sed 's/^/  /'
	@echo "charts: $(BUILD)/figures/"
	@ls -1 $(BUILD)/figures/*.png | sed 's/^/  /'

test: install ## Run the tests and the notebooks (nbmake) against a throwaway Redis Stack
	$(BIN)/pytest -v

# JupyterLab refuses root unless told, and containers and CI machines run as root.
lab: server ## Open the notebooks in JupyterLab
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

api: server ## Serve the HTTP API on 127.0.0.1 (demo mode unless a secret is set)
	@if [ -z "$$REDISBANK_SESSION_SECRET" ]; then export REDISBANK_DEMO_MODE=1; fi; \
	$(BIN)/redisbank api

bench: install ## Run both benchmarks: sessions (load vs GET, login) and the ledger
	$(BIN)/python bench/sessions.py
	$(BIN)/python bench/ledger.py

serve: server ## Serve the dashboard and API on 127.0.0.1 with a transaction every 10 s
	@if [ -z "$$REDISBANK_SESSION_SECRET" ]; then export REDISBANK_DEMO_MODE=1; fi; \
	echo "open http://127.0.0.1:$${REDISBANK_API_PORT:-16480}/ and sign in as bob"; \
	exec $(BIN)/redisbank api --generate-every 10s

lint: install ## Check formatting and common mistakes with ruff
	$(BIN)/ruff format --check redisbank tests bench
	$(BIN)/ruff check redisbank tests bench

clean: ## Remove build outputs (the server's data in .redisbank/ stays)
	rm -rf $(BUILD) .pytest_cache
