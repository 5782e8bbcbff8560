#!/usr/bin/env bash
# Builds the tests' ecosystem tools from their Go modules, pinned in promtool/go.mod and
# helm/go.mod: promtool (Prometheus's rule checker and rule unit tests) and helm. They go into the
# same cache as the control plane (build.sh), under a key of their versions and of these sources,
# and the script prints the cache's bin directory on stdout. A second call with nothing changed
# only prints the directory. Progress goes to stderr.
#
# Environment:
#   TRIPREPORT_CACHE_DIR  where built binaries are kept (default: ${XDG_CACHE_HOME:-~/.cache}/tripreport-operator)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! command -v go >/dev/null; then
  echo "build-tools.sh: the Go toolchain is needed to build promtool and helm; 'go' is not on PATH" >&2
  exit 1
fi
cache_root=${TRIPREPORT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tripreport-operator}

prometheus_version=$(cd "$here/promtool" && go list -m -f '{{.Version}}' github.com/prometheus/prometheus)
# Prometheus 3.x is tagged v0.3MM.P for Go: v0.316.0 is release 3.16.0.
minor_patch=${prometheus_version#v0.3}
prometheus_release=3.${minor_patch}
helm_version=$(cd "$here/helm" && go list -m -f '{{.Version}}' helm.sh/helm/v4)
sources_hash=$(
  {
    go version
    cd "$here"
    find build-tools.sh promtool helm -type f \( -name go.mod -o -name go.sum -o -name '*.sh' \) -print0 |
      sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-12
)
out="$cache_root/tools/prometheus-$prometheus_version-helm-$helm_version-$sources_hash"
bin="$out/bin"
if [[ -x $bin/promtool && -x $bin/helm ]]; then
  echo "$bin"
  exit 0
fi

log() { echo "[tools] $*" >&2; }
mkdir -p "$cache_root/tools"
tmp=$(mktemp -d "$cache_root/tools/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# `go build` of a main package that go.mod's `tool` directive names, at the pinned version.
build() {
  local label=$1 dir=$2 package=$3 ldflags=$4 start
  start=$(date +%s)
  log "$label: downloading modules (if not already in the Go module cache)"
  (cd "$dir" && go mod download)
  log "$label: building $package ($(cd "$dir" && go list -deps "$package" | wc -l) packages in its graph; minutes the first time)"
  if ! (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" "$package" 2>"$tmp/$label.log"); then
    log "$label: go build failed; its output:"
    cat "$tmp/$label.log" >&2
    exit 1
  fi
  log "$label: done in $(($(date +%s) - start))s"
}

# The version variables their own release builds set, so that `promtool --version` and
# `helm version` name the real release.
build promtool "$here/promtool" github.com/prometheus/prometheus/cmd/promtool \
  "-s -w -X github.com/prometheus/common/version.Version=$prometheus_release -X github.com/prometheus/common/version.Branch=HEAD"
build helm "$here/helm" helm.sh/helm/v4/cmd/helm \
  "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"

mkdir -p "$bin"
mv "$tmp/promtool" "$tmp/helm" "$bin/"
log "promtool and helm built: $bin"
echo "$bin"
