# The one interface to xsell. `make demo` and `make test` install what they need.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
ONLY ?=
LAMBDA_PY := 3.13
LAMBDA_PLATFORM := manylinux2014_aarch64
# The interpreter that compiles the deps layer's bytecode: it must be the runtime's version.
LAMBDA_PYTHON ?= python$(LAMBDA_PY)

.PHONY: setup system-deps demo test test-unit synth deploy bench lint clean layer-deps tag admin openapi

setup: system-deps .venv/.installed node_modules/.installed layer-deps tag admin

system-deps:
	@bash local/install_system_deps.sh

.venv/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[infra,local,dev,reports]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-fund --no-audit
	touch $@

# Runtime wheels for the Lambda platform, so that synth never needs the network.
# The Lambda runtime has boto3 and its dependencies; copies that come in only as dependencies of
# the layer's own packages (pynamodb needs botocore) are removed, or they would shadow the
# runtime's (a layer comes first on sys.path). To ship one on purpose, pin it in requirements.txt
# and drop it from RUNTIME_PROVIDED.
RUNTIME_PROVIDED := boto3 botocore s3transfer urllib3 jmespath python_dateutil dateutil six
layer-deps: layers/deps/python/.installed
layers/deps/python/.installed: layers/deps/requirements.txt .venv/.installed
	rm -rf layers/deps/python
	$(PIP) install --quiet --no-compile --target layers/deps/python --platform $(LAMBDA_PLATFORM) \
		--python-version $(LAMBDA_PY) --implementation cp --only-binary=:all: \
		-r layers/deps/requirements.txt
	cd layers/deps/python && for dist in $(RUNTIME_PROVIDED); do \
		rm -rf $$dist $$dist.py $$dist-*.dist-info; done && rm -rf bin
	@# Bytecode for the runtime's Python: /opt is read-only in Lambda, so without it every cold
	@# start compiles the layer's modules again. Hash-checked, as the zip does not keep mtimes.
	@if $(LAMBDA_PYTHON) -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$(LAMBDA_PY)')" 2>/dev/null; \
	then $(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash layers/deps/python >/dev/null; \
	else echo "no Python $(LAMBDA_PY) as $(LAMBDA_PYTHON): the deps layer ships without bytecode" \
		"(slower cold starts; set LAMBDA_PYTHON=/path/to/python$(LAMBDA_PY))"; fi
	touch $@

tag: node_modules/.installed
	npm run --silent build:tag

admin: node_modules/.installed
	npm run --silent build:admin

demo: setup
	$(PY) -m local demo

test: setup
	npm run --silent test:tag
	npm run --silent check:admin
	npm run --silent test:admin
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest tests/unit

synth: setup
	npx cdk synth --quiet

deploy: setup
	npx cdk deploy --all

openapi: .venv/.installed
	$(PY) -m local.openapi

bench: setup
	$(PY) -m tests.bench $(if $(ONLY),--only $(ONLY))

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	$(PY) -m mypy

clean:
	rm -rf cdk.out tag/dist admin_spa/dist test-results layers/deps/python
