# kuma.universal: every target installs what it needs into .venv from requirements-dev.txt.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
COLLECTION_LINK := build/collections/ansible_collections/kuma/universal
SUITES := unit sanity lint docs ee smoke integration molecule kuma3
# The Ansible environment, the Kuma version default and PATH are set in one place,
# scripts/lib.sh, which every script below sources.

# test-% is a pattern rule: make skips pattern rules for targets listed as .PHONY.
.PHONY: help venv collection dist image demo demo-clean test bench clean
export KUMA_VERSION

help:
	@echo "make demo        bring up the seed's mesh on local systemd containers and send a request through it"
	@echo "make demo-clean  remove the demo's containers"
	@echo "make test        every suite: $(SUITES)"
	@echo "make test-SUITE  one of them (test-unit, test-docs, test-molecule, ...)"
	@echo "make collection  .venv with the pinned tools, and build/collections linking kuma.universal to this tree"
	@echo "make dist        the Kuma release archive (KUMA_VERSION=2.14.3 | 2.13.10 | 2.12.14), cached outside the tree"
	@echo "make image       the systemd VM image the demo and molecule use"
	@echo "make bench       benchmarks into benchmarks/results/"
	@echo "make clean       remove build/ and caches inside the tree"

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

test-%: collection
	@case " $(SUITES) " in *" $* "*) ;; *) echo "unknown suite '$*': one of $(SUITES)"; exit 2 ;; esac
	bash scripts/test-all.sh $*

bench: collection
	bash benchmarks/run.sh

clean:
	rm -rf build .pytest_cache
