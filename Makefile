# Strata developer entry points. Everything installs what it needs (Debian/apt) when run as root.
#   make test            build once (debug, with tests), start the docker peer, run every test suite
#   make demo            release build + a busybox-static image imported, tagged and shown
#   make bench NAME=x    strata vs docker benchmarks (bench/run; NAME=all for the table)
SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
SWIFT       ?= swift
NAME        ?= all
DEMO_ROOT   ?= $(CURDIR)/.build/demo-root
DEBUG_BIN   := $(CURDIR)/.build/debug/strata
RELEASE_BIN := $(CURDIR)/.build/release/strata

.PHONY: all build release deps peers test demo bench

all: build

deps:
	@scripts/install-build-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product strata --static-swift-stdlib

# Start the peer unless DOCKER_HOST already names one; outside CI a missing peer only skips the
# docker-comparison tests (under CI=true the tests themselves fail).
peers:
	@scripts/peers-up >/dev/null || [ "$${CI:-}" != true ]

# Build everything once, then test exactly that build. The tests find the binary via STRATA_BIN and
# the peer + rootfs tarballs via the env lines printed by scripts/peers-up. An already exported
# DOCKER_HOST is honoured (only the rootfs tarballs are made then).
test: deps
	$(SWIFT) build --build-tests
	@scripts/test-venv >/dev/null || [ "$${CI:-}" != true ]
	@scripts/install-test-tools || [ "$${CI:-}" != true ]
	@if [ -n "$${DOCKER_HOST:-}" ]; then no_docker=1; else no_docker=0; fi; \
	if peer_env=$$(NO_DOCKER=$$no_docker scripts/peers-up); then set -a; eval "$$peer_env"; set +a; \
	elif [ "$${CI:-}" = true ]; then echo "make test: docker peer unavailable" >&2; exit 1; \
	else echo "make test: docker peer unavailable; docker comparisons will be skipped" >&2; fi; \
	STRATA_BIN=$${STRATA_BIN:-$(DEBUG_BIN)} $(SWIFT) test --skip-build

demo: release
	@scripts/demo "$(RELEASE_BIN)" "$(DEMO_ROOT)"

bench:
	bench/run $(NAME)
