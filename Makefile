# kuma.universal: every target installs what it needs into .venv from requirements-dev.txt.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
KUMA_VERSION ?= 2.14.3
COLLECTION_LINK := build/collections/ansible_collections/kuma/universal
export KUMA_VERSION
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections

.PHONY: help venv collection dist image demo demo-clean test test-unit test-sanity test-lint \
        test-smoke test-integration test-molecule bench clean

help:
	@echo "make demo       bring up the seed's mesh on local systemd containers and send a request through it"
	@echo "make test       every suite (unit, sanity, lint, smoke, integration, molecule)"
	@echo "make test-unit | test-sanity | test-lint | test-smoke | test-integration | test-molecule"
	@echo "make dist       the Kuma $(KUMA_VERSION) release archive (cached outside the tree)"
	@echo "make bench      benchmarks into benchmarks/results/"

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Ansible resolves kuma.universal.* from this link to the work tree.
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

collection: venv $(COLLECTION_LINK)

dist: venv
	@bash scripts/kuma-dist.sh

image:
	@bash scripts/base-image.sh

demo: collection
	bash scripts/demo.sh up

demo-clean:
	bash scripts/demo.sh down

test: collection
	bash scripts/test-all.sh all

test-unit: collection
	bash scripts/test-all.sh unit

test-sanity: collection
	bash scripts/test-all.sh sanity

test-lint: collection
	bash scripts/test-all.sh lint

test-smoke: collection
	bash scripts/test-all.sh smoke

test-integration: collection
	bash scripts/test-all.sh integration

test-molecule: collection
	bash scripts/test-all.sh molecule

bench: collection
	bash benchmarks/run.sh

clean:
	rm -rf build .pytest_cache
