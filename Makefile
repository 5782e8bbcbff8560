# tripreport-operator: `make run` and `make test` are all a newcomer needs (see README.md).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
CLUSTER_DIR ?= target/cluster
# Prints the cache directory of the control-plane binaries, building them first if needed.
CONTROLPLANE := bash tests/controlplane/build.sh

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: controlplane
controlplane: ## Build etcd, kube-apiserver, kube-controller-manager and kubectl (cached after the first time)
	@$(CONTROLPLANE) >/dev/null

.PHONY: build
build: ## Build the operator
	$(CARGO) build --workspace

.PHONY: crds
crds: ## Regenerate crds/ from the Rust API types
	$(CARGO) run --quiet -- crds > crds/tripreports.dev.yaml

.PHONY: test
test: controlplane ## Run the unit and integration tests against a real local control plane
	@mkdir -p target
	TRIPREPORT_CONTROLPLANE_BIN="$$($(CONTROLPLANE))" $(CARGO) test --workspace --all-targets 2>&1 | tee target/test.log
	@# One closing line for the whole run: cargo prints one per test binary.
	@awk '/^test result:/ {p += $$4; f += $$6} END {printf "total: %d passed, %d failed\n", p, f}' target/test.log

.PHONY: cluster
cluster: controlplane ## Start the local control plane in the background and print how to use it
	@$(CARGO) build --quiet -p testenv
	@TRIPREPORT_CONTROLPLANE_BIN="$$($(CONTROLPLANE))" target/debug/testenv up --dir $(CLUSTER_DIR)

.PHONY: cluster-down
cluster-down: ## Stop the local control plane started by `make cluster`
	@$(CARGO) build --quiet -p testenv
	@TRIPREPORT_CONTROLPLANE_BIN="$$($(CONTROLPLANE))" target/debug/testenv down --dir $(CLUSTER_DIR)

.PHONY: run
run: cluster ## Start the local control plane (the operator and samples join it in later work)

.PHONY: lint
lint: ## rustfmt and clippy, as CI would want them
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
