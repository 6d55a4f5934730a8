# The two commands of the README: `make quickstart` and `make test`. Both set up .venv themselves.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
EXTRAS ?= dev

.PHONY: quickstart test lint setup clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	# torch first, pinned: it keeps pip on the local CPU wheel instead of a multi-GB CUDA build
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

setup: $(STAMP)

quickstart: $(STAMP)
	$(VENV)/bin/r1data run recipes/quickstart.yaml --output outputs/quickstart

test: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	HF_HUB_OFFLINE=1 $(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts && $(VENV)/bin/ruff format --check src tests bench scripts

clean:
	rm -rf outputs .pytest_cache
