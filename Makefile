# The one interface to xsell. `make demo` and `make test` install what they need.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
ONLY ?=
LAMBDA_PY := 3.13
LAMBDA_PLATFORM := manylinux2014_aarch64

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
layer-deps: layers/deps/python/.installed
layers/deps/python/.installed: layers/deps/requirements.txt .venv/.installed
	rm -rf layers/deps/python
	$(PIP) install --quiet --target layers/deps/python --platform $(LAMBDA_PLATFORM) \
		--python-version $(LAMBDA_PY) --implementation cp --only-binary=:all: \
		-r layers/deps/requirements.txt
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

clean:
	rm -rf cdk.out tag/dist admin_spa/dist test-results layers/deps/python
