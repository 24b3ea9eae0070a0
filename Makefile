# Criterion — every set-up step lives here. `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ANONYMIZED_TELEMETRY := False

.PHONY: help install run ingest test lint eval bench clean browser

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv, install Criterion with its test tools, export the ONNX embedder
	$(BIN)/python -m app.onnx_embedder

ingest: install ## index the bundled corpus into ./data/index (incremental)
	$(BIN)/criterion ingest corpus

run: ingest ## install, index the bundled corpus, serve on http://127.0.0.1:8000
	CRITERION_API__AUTH=$${CRITERION_API__AUTH:-off} $(BIN)/criterion serve

browser: ## Debian's headless Chromium for the browser test (skipped by that test when missing)
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium not installed: the browser test will be skipped"; }

test: install browser lint ## install if needed, lint, run every test (slow and integration ones included) and the eval gate
	$(BIN)/python -m pytest -q

lint: install ## static checks that fail the build: ruff, the import contracts (pyproject.toml), compileall
	$(BIN)/ruff check app ingest evals bench tests
	$(BIN)/lint-imports
	$(BIN)/python -m compileall -q app ingest evals

eval: install ## score the starter corpus against its gold cases (exit 1 when the gate fails)
	$(BIN)/criterion eval --cases evals/cases --corpus corpus --out evals/reports/latest --thresholds evals/thresholds.yaml

bench: install ## benchmark Criterion against a naive LangChain pipeline (writes bench/results.md)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.onnx_export
	$(BIN)/python -m bench.run

clean: ## remove the virtualenv and data
	rm -rf $(VENV) data
