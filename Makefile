# redisbank: every target below is listed, with its description, by `make help`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))
BUILD := build

.DEFAULT_GOAL := help
.PHONY: help install server stop run test lab lint clean

help: ## List the targets with what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(INSTALLED) ## Create .venv and install redisbank with its notebook and test tools

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,test,dev]'
	@touch $@

server: install ## Start the embedded Redis Stack (a no-op when REDIS_URL is set)
	@if [ -z "$$REDIS_URL" ]; then $(BIN)/redisbank server start; \
	else echo "REDIS_URL is set: using $$REDIS_URL"; fi

stop: install ## Stop the embedded Redis Stack; its data stays in .redisbank/
	$(BIN)/redisbank server stop

run: server ## Execute the notebooks in order into build/notebooks, charts into build/figures
	@mkdir -p $(BUILD)/notebooks
	@for notebook in $(NOTEBOOKS); do \
		echo "running $$notebook"; \
		$(BIN)/papermill --no-progress-bar --kernel python3 --cwd notebooks \
			"$$notebook" "$(BUILD)/notebooks/$$(basename $$notebook)" || exit 1; \
	done
	@echo "executed notebooks: $(BUILD)/notebooks/"
	@ls -1 $(BUILD)/notebooks/*.ipynb | sed 's/^/  /'
	@echo "charts: $(BUILD)/figures/"
	@ls -1 $(BUILD)/figures/*.png | sed 's/^/  /'

test: install ## Run the tests and the notebooks (nbmake) against a throwaway Redis Stack
	$(BIN)/pytest -v

lab: server ## Open the notebooks in JupyterLab
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: install ## Check formatting and common mistakes with ruff
	$(BIN)/ruff format --check redisbank tests bench
	$(BIN)/ruff check redisbank tests bench

.PHONY: bench
bench: install ## Benchmark seeding, search and memory on a throwaway Redis Stack
	$(BIN)/python bench/ledger.py

clean: ## Remove build outputs (the server's data in .redisbank/ stays)
	rm -rf $(BUILD) .pytest_cache
