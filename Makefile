# The README's commands. `make plan` sets up ./venv with what a plan needs on first use; `make test`
# adds the test tools.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
DEV := $(VENV)/.dev
STACK ?= dev
# No byte-compiling at install: the provider SDKs are 250 MB of generated modules, of which a plan
# imports a few dozen. compileall then compiles the rest; tools.bytecode exactly the provider
# modules a plan imports (half the first setup, measured: docs/benchmarks.md).
PIP := $(BIN)/pip install --quiet --disable-pip-version-check --no-compile
COMPILE := $(BIN)/python -m compileall -qq -j0 -x '/(pulumi_aws|pulumi_gcp)/' $(VENV)/lib

.PHONY: venv plan test lint bench wheel release buildlab buildlab-deps clean

$(RUNTIME): requirements.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(PIP) -r requirements.txt -r policy/requirements.txt
	$(COMPILE)
	$(BIN)/python -m tools.bytecode
	touch $@

$(DEV): $(RUNTIME) requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	$(COMPILE)
	touch $@

venv: $(DEV)

# gitlab-ci-local (an independent implementation of GitLab CI) and the Node 22 it runs on, as
# pinned in package-lock.json: the tests and the build lab run the CI/CD component with it.
NODE_TOOLS := node_modules/.installed
$(NODE_TOOLS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Offline plan of a stack (default dev): no Pulumi CLI, no credentials, no network.
plan: $(RUNTIME)
	$(BIN)/python -m tools.plan $(STACK)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Lint, types, then every test.
test: lint $(NODE_TOOLS)
	$(BIN)/pytest

# The package pulumi-multiarch as a wheel in dist/ (the tests build and install one of their own).
wheel: $(DEV)
	$(BIN)/pip wheel --quiet --disable-pip-version-check --no-build-isolation --no-deps -w dist .

# A release's distributions, the wheel and the sdist, in dist/, checked as the package index checks
# them (twine check --strict: metadata, the README as the long description). Offline: no build
# isolation, the build backend (hatchling) is requirements-dev's. .ci/run runs it. Publishing stays
# a manual step (README: Install): twine upload dist/* with the index's credentials.
DIST ?= dist
release: $(DEV)
	rm -rf $(DIST)
	$(BIN)/python -m build --no-isolation --sdist --wheel --outdir $(DIST) . >/dev/null
	$(BIN)/twine check --strict $(DIST)/*

# The offline plan against its floor, the scaling table (1 to 64 pools per platform), the review.
bench: $(DEV)
	$(BIN)/python -m bench.plan
	$(BIN)/python -m bench.scaling
	$(BIN)/python -m bench.review

# The build lab's tools, from Debian (as root): buildah, skopeo, qemu-user-static, docker-registry,
# openssl, git, rsync (gitlab-ci-local's shell executor), and busybox-static for amd64 and arm64 as the
# lab's base images and its arm64 node's userland.
LAB_DEBS := build/buildlab/debs
# The package lists first: a bare machine has none (and the arm64 architecture needs its own).
buildlab-deps:
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah skopeo qemu-user-static docker-registry openssl git rsync >/dev/null
	mkdir -p $(LAB_DEBS) && cd $(LAB_DEBS) && apt-get download -qq busybox-static:amd64 busybox-static:arm64

# Run the stacks' generated build paths for real (default dev and openshift-dev, the lab's own default;
# names or stack file paths: make buildlab LAB_STACKS=path/to/Pulumi.x.yaml): two arches, a registry, the proof.
LAB_STACKS ?= dev openshift-dev
buildlab: $(DEV) $(NODE_TOOLS)
	$(BIN)/python -m tools.buildlab $(LAB_STACKS)

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache node_modules
