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
# pip warns once per missing local mirror folder; drop those lines, keep everything else.
QUIET_PIP := sed "/^WARNING: Location/d"

.PHONY: env reproduce test test-unit bench clean-env

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
