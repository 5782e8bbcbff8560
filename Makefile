# tripreport-operator: `make run` and `make test` are all a newcomer needs (see README.md).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
CLUSTER_DIR ?= target/cluster
# Prints the cache directory of the control-plane binaries, building them first if needed.
CONTROLPLANE := bash tests/controlplane/build.sh
# Prints the cache directory of promtool and helm, building them first if needed.
TOOLS := bash tests/controlplane/build-tools.sh
# One cargo invocation for every binary, so features are unified once and nothing is built twice.
BINS := $(CARGO) build --workspace --bins

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: controlplane
controlplane: ## Build etcd, kube-apiserver, kube-controller-manager and kubectl (cached after the first time)
	@$(CONTROLPLANE) >/dev/null

.PHONY: tools
tools: ## Build promtool and helm from their Go modules, for the monitoring and chart tests (cached after the first time)
	@$(TOOLS) >/dev/null

.PHONY: browser
browser: ## Install Debian's chromium and chromium-driver for the browser test, if missing (needs root)
	@bash tests/browser/install.sh >/dev/null

.PHONY: build
build: ## Build the operator
	$(BINS)

.PHONY: crds
crds: ## Regenerate crds/ and docs/api.md from the Rust API types
	$(CARGO) run --quiet -- crds > crds/tripreports.dev.yaml
	$(CARGO) run --quiet -- api-docs > docs/api.md

.PHONY: test
test: controlplane tools browser ## Run the unit and integration tests against a real local control plane (with promtool, helm and a headless Chromium)
	@mkdir -p target
	TRIPREPORT_CONTROLPLANE_BIN="$$($(CONTROLPLANE))" TRIPREPORT_TOOLS_BIN="$$($(TOOLS))" $(CARGO) test --workspace --all-targets 2>&1 | tee target/test.log
	@# One closing line for the whole run: cargo prints one per test binary.
	@awk '/^test result:/ {p += $$4; f += $$6} END {printf "total: %d passed, %d failed\n", p, f}' target/test.log

.PHONY: cluster
cluster: controlplane ## Start the local control plane in the background and print how to use it
	@$(BINS)
	@TRIPREPORT_CONTROLPLANE_BIN="$$($(CONTROLPLANE))" target/debug/testenv up --dir $(CLUSTER_DIR)

.PHONY: cluster-down
cluster-down: ## Stop the local control plane started by `make cluster`
	@$(BINS)
	@TRIPREPORT_CONTROLPLANE_BIN="$$($(CONTROLPLANE))" target/debug/testenv down --dir $(CLUSTER_DIR)

.PHONY: run
run: cluster ## Local control plane + CRDs + samples/, and the operator in the foreground (Ctrl-C stops it)
	@$(BINS)
	@export KUBECONFIG="$$PWD/$(CLUSTER_DIR)/kubeconfig"; \
	kubectl="$$($(CONTROLPLANE))/kubectl"; \
	echo "Installing the CRDs and applying samples/ ..."; \
	"$$kubectl" create namespace tripreport-system >/dev/null 2>&1 || true; \
	"$$kubectl" apply --server-side --field-manager=make-run -f crds/ >/dev/null; \
	"$$kubectl" wait --for condition=established --timeout=60s -f crds/ >/dev/null; \
	"$$kubectl" apply --server-side --field-manager=make-run -f samples/ >/dev/null; \
	target/debug/tripreport-operator run --http-addr 127.0.0.1:8080 & operator=$$!; \
	trap 'kill -TERM $$operator 2>/dev/null; wait $$operator; echo; echo "The operator stopped. The control plane keeps running: stop it with make cluster-down."; exit 0' INT TERM; \
	if "$$kubectl" wait --for condition=Ready --timeout=120s -n tripreports-samples conferencereport --all >/dev/null; then \
	  echo; "$$kubectl" get tripreports -n tripreports-samples; echo; \
	  echo "The samples have converged. In another terminal:"; \
	  echo "  export KUBECONFIG=$$KUBECONFIG"; \
	  echo "  $$kubectl get tripreports -A"; \
	  echo; \
	  echo "Read them with the kubectl plugin (kubectl-tripreport, built beside the operator):"; \
	  echo "  export PATH=$$PWD/target/debug:$$(dirname "$$kubectl"):\$$PATH"; \
	  echo "  kubectl tripreport list -A"; \
	  echo "  kubectl tripreport view kubecon-eu-2019-barcelona -n tripreports-samples"; \
	  echo "  kubectl tripreport serve        # then open http://127.0.0.1:8090/"; \
	  echo "Press Ctrl-C to stop the operator."; echo; \
	fi; \
	wait $$operator

.PHONY: chaos
chaos: controlplane ## The fault suite at full size (500 reports, 20 kills, ...); figures in target/chaos/figures.json
	@mkdir -p target/chaos
	@rm -f target/chaos/figures.json
	CHAOS_FULL=1 TRIPREPORT_CONTROLPLANE_BIN="$$($(CONTROLPLANE))" $(CARGO) test --test chaos -- --nocapture --test-threads=1 2>&1 | tee target/chaos/chaos.log
	@echo "figures: target/chaos/figures.json (copy them into docs/reliability.md)"

.PHONY: bench
bench: controlplane ## Benchmark: convergence of BENCH_REPORTS (1000) reports against the API server's write floor
	$(CARGO) build --release -p tripreport-operator -p bench --bins
	TRIPREPORT_CONTROLPLANE_BIN="$$($(CONTROLPLANE))" target/release/bench
	$(CARGO) bench -p tripreport-operator --bench render --bench abstract -- --noplot

.PHONY: bench-chart
bench-chart: ## Redraw docs/benchmarks-convergence.svg from docs/benchmarks/results-*.json
	$(CARGO) build --release -p bench --bins
	target/release/bench chart docs/benchmarks-convergence.svg $$(ls docs/benchmarks/results-*.json | sort -t- -k2 -n)

.PHONY: lint
lint: ## rustfmt and clippy, as CI would want them
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

FUZZ_SECONDS ?= 60

.PHONY: fuzz
fuzz: ## Fuzz the renderer and the offline checker's reader, FUZZ_SECONDS (60) each; fails on a crash
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh

.PHONY: fuzz-smoke
fuzz-smoke: ## A short fuzzing run (10 s per target), for CI
	FUZZ_SECONDS=10 bash fuzz/run.sh
