# The README's two set-up commands: `make reproduce` and `make test`.
# Both create the virtual environment in .venv/ first if it is missing or out of date.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.serxai-installed
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
PYTEST_ARGS ?=
# The HTML book has its own small environment (Sphinx, myst-nb, sphinx-book-theme), never .venv/.
BOOK_VENV := .venv-book
BOOK_PY := $(BOOK_VENV)/bin/python
BOOK_STAMP := $(BOOK_VENV)/.serxai-book-installed
BOOK_BUILD ?= _build
# pip warns once per missing local mirror folder; drop those lines, keep everything else.
QUIET_PIP := sed "/^WARNING: Location/d"

.PHONY: env reproduce test test-unit bench clean-env book book-env

env: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned stack into $(VENV) (a few minutes the first time)..."
	$(PIP) -r requirements.txt 2>&1 | $(QUIET_PIP)
	$(PIP) --no-deps -r requirements-nodeps.txt 2>&1 | $(QUIET_PIP)
	$(PIP) --no-deps -e . 2>&1 | $(QUIET_PIP)
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (serxai)" >/dev/null
	$(PY) -c "import helpers, torch, tensorflow, transformers, opensmile, papermill, resemblyzer, webrtcvad; from helpers.zennit_compat import import_zennit; import_zennit()"
	@touch $(STAMP)

# Regenerate every figure and table on the offline defaults.
reproduce: env
	$(PY) -m helpers reproduce

# Unit tests + every notebook on its smoke profile (papermill, then nbval).
test: env
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: env
	$(PY) -m pytest -m "not notebook" $(PYTEST_ARGS)

bench: env
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean-env:
	rm -rf $(VENV)

# The static HTML book of the committed executed notebooks (nothing is executed) in
# $(BOOK_BUILD)/html; warnings are errors. Pages are generated into $(BOOK_BUILD)/book-src.
book: book-env
	rm -rf $(BOOK_BUILD)/book-src $(BOOK_BUILD)/html $(BOOK_BUILD)/doctrees $(BOOK_BUILD)/jupyter_execute
	$(BOOK_PY) book/build_pages.py --out $(BOOK_BUILD)/book-src
	$(BOOK_PY) -m sphinx -b html -W --keep-going -q -c book -d $(BOOK_BUILD)/doctrees $(BOOK_BUILD)/book-src $(BOOK_BUILD)/html
	@echo "The book is in $(BOOK_BUILD)/html/index.html"

book-env: $(BOOK_STAMP)

$(BOOK_STAMP): requirements-book.txt
	@test -x $(BOOK_PY) || $(PYTHON) -m venv $(BOOK_VENV)
	$(BOOK_PY) -m pip install --quiet --disable-pip-version-check -r requirements-book.txt 2>&1 | $(QUIET_PIP)
	@touch $(BOOK_STAMP)
