# The README's commands. `make plan` and `make test` set up ./venv on first use.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev

.PHONY: venv plan test lint bench buildlab buildlab-deps clean

$(STAMP): requirements.txt requirements-dev.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Offline plan of a stack (default dev): no Pulumi CLI, no credentials, no network.
plan: $(STAMP)
	$(BIN)/python -m tools.plan $(STACK)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Lint, types, then every test.
test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.plan

# The build lab's tools, from Debian (as root): buildah, skopeo, qemu-user-static, docker-registry,
# openssl, git, and busybox-static for amd64 and arm64 as the lab's base images.
LAB_DEBS := build/buildlab/debs
buildlab-deps:
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah skopeo qemu-user-static docker-registry openssl git >/dev/null
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	apt-get update -qq
	mkdir -p $(LAB_DEBS) && cd $(LAB_DEBS) && apt-get download -qq busybox-static:amd64 busybox-static:arm64

# Run the stack's generated build path for real (default dev): two arches, a registry, the proof.
buildlab: $(STAMP)
	$(BIN)/python -m tools.buildlab $(STACK)

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
