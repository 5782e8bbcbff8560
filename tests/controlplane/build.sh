#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from their Go modules, and the
# tests' GitOps checkers (kstatus-check, lua-health, from tools/), into a cache keyed by the
# pinned versions and by these sources, and prints the cache's bin directory on stdout. A second
# call with nothing changed only prints the directory.
#
# Progress goes to stderr: the first build compiles about 3,000 Go packages, which takes many
# minutes on a 2-core machine.
#
# Environment:
#   TRIPREPORT_CACHE_DIR  where built binaries are kept (default: ${XDG_CACHE_HOME:-~/.cache}/tripreport-operator)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! command -v go >/dev/null; then
  echo "build.sh: the Go toolchain (go 1.24 or later) is needed to build the control plane; 'go' is not on PATH" >&2
  exit 1
fi
cache_root=${TRIPREPORT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tripreport-operator}

k8s_version=$(cd "$here/k8s" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd_version=$(cd "$here/etcd" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
if [[ -z $k8s_version || -z $etcd_version ]]; then
  echo "build.sh: cannot read the pinned versions from $here/{k8s,etcd}/go.mod" >&2
  exit 1
fi

# Any change to the modules, the mains, this script or the Go toolchain gives a new cache entry.
sources_hash=$(
  {
    go version
    cd "$here"
    find build.sh k8s etcd tools -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.sh' \) -print0 |
      sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-12
)
out="$cache_root/controlplane/k8s-$k8s_version-etcd-$etcd_version-$sources_hash"
bin="$out/bin"
binaries=(etcd kube-apiserver kube-controller-manager kubectl kstatus-check lua-health)

complete() {
  local b
  for b in "${binaries[@]}"; do [[ -x $bin/$b ]] || return 1; done
}

if complete; then
  echo "$bin"
  exit 0
fi

log() { echo "[controlplane] $*" >&2; }

# go build -v names each package as it compiles it; turn that into "N/total" lines, at most one
# every 50 packages, so a long first build shows it is moving without flooding the terminal.
progress() {
  local label=$1 total=$2
  awk -v label="$label" -v total="$total" '
    { n++; if (n % 50 == 0) { printf "[controlplane] %s: compiled %d of up to %d packages\n", label, n, total > "/dev/stderr"; fflush("/dev/stderr") } }
    END { printf "[controlplane] %s: compiled %d packages (the rest came from Go'\''s build cache)\n", label, n > "/dev/stderr" }'
}

build() {
  local label=$1 dir=$2 ldflags=$3
  shift 3
  local total start
  start=$(date +%s)
  log "$label: downloading modules (if not already in the Go module cache)"
  (cd "$dir" && go mod download)
  total=$( (cd "$dir" && go list -deps "$@") | wc -l)
  log "$label: building $* ($total packages in the dependency graph)"
  # -v writes package names to stderr; route them through the progress counter, keep errors whole.
  if ! (cd "$dir" && go build -v -trimpath -ldflags "$ldflags" -o "$tmp/" "$@" 2> >(tee "$tmp/$label.log" | grep -E '^[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.~+-]+)*$' | progress "$label" "$total")); then
    sleep 1
    log "$label: go build failed; its output:"
    grep -vE '^[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.~+-]+)*$' "$tmp/$label.log" >&2 || true
    exit 1
  fi
  sleep 1 # let the progress counter print its last line before the next step
  log "$label: done in $(($(date +%s) - start))s"
}

mkdir -p "$cache_root/controlplane"
tmp=$(mktemp -d "$cache_root/controlplane/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log "building Kubernetes $k8s_version and etcd $etcd_version into $out (first time only)"

# The version variables Kubernetes' own build sets (hack/lib/version.sh), so that
# `kubectl version` and /version report the real release instead of v0.0.0-master.
k8s_minor=${k8s_version#v1.}
k8s_minor=${k8s_minor%%.*}
build_date=$(cd "$here/k8s" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

build etcd "$here/etcd" "-s -w" .
build kubernetes "$here/k8s" "$k8s_ldflags" ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kubectl
build tools "$here/tools" "-s -w" ./cmd/kstatus-check ./cmd/lua-health

mkdir -p "$bin"
for b in "${binaries[@]}"; do mv "$tmp/$b" "$bin/$b"; done
log "all binaries built: $bin"
echo "$bin"
