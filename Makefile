# ggzy: `make run` serves the platform on demo data, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INI ?= development.ini
# fonts for Chinese PDFs, HarfBuzz subsetting for WeasyPrint, chromium for the browser tests,
# poppler-utils (pdftotext) for tests that read PDFs
DEBIAN_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 chromium poppler-utils
PYTEST_ARGS ?=

.PHONY: run test bench install system-deps catalogs compile-catalogs clean

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[testing]'
	touch $@

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing"; \
	    echo "  install them with: sudo apt-get install --no-install-recommends$$missing"; \
	  fi; \
	fi

compile-catalogs: $(VENV)/.installed
	$(PY) -m trading.catalogs

install: system-deps $(VENV)/.installed compile-catalogs

run: install
	mkdir -p var
	$(VENV)/bin/ggzy initdb $(INI)
	$(VENV)/bin/ggzy demo $(INI)
	$(VENV)/bin/pserve $(INI)

test: install
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: install
	@if ls bench/bench_*.py >/dev/null 2>&1; then \
	  for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done; \
	else echo "no benchmarks yet"; fi

catalogs: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg --no-default-keywords -k _ -c TRANSLATORS: \
	  --no-location --sort-output --no-wrap --project=ggzy -o trading/locale/ggzy.pot .
	$(VENV)/bin/pybabel update -D ggzy -i trading/locale/ggzy.pot -d trading/locale \
	  --no-wrap --no-fuzzy-matching --ignore-obsolete
	$(PY) -m trading.catalogs
	$(PY) -m trading.catalogs --check

clean:
	rm -rf $(VENV) build *.egg-info
