#!/usr/bin/env bash
# Installs the tools the deployment checks (test/deploy) need into .cache/tools/bin:
#
#   helm            helm.sh/helm/v3, built from the Go module proxy (pinned below)
#   manifest-check  tools/manifest-check: rendered manifests decoded strictly into the
#                   k8s.io/api and monitoring.coreos.com Go types (offline validation)
#   prometheus      Debian's package, unpacked here (never installed as a service)
#   promtool        from the same package
#
# Idempotent: a tool whose version stamp matches is left alone, so a second run takes
# well under a second. Needs Go >= 1.26 (the module proxy must be reachable on a cold
# cache) and apt (Debian) for Prometheus; as root it runs `apt-get update` when the
# package lists do not know Prometheus yet. A cold run builds Helm: about 3-4 minutes
# on 2 cores with an empty Go cache, under a minute once Go's caches are warm.
#
# Usage: scripts/ci-tools.sh [--print-env]   (--print-env: print SLUICE_TOOLS_BIN=…)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=$ROOT/.cache/tools
BIN=$TOOLS/bin
mkdir -p "$BIN"

HELM_VERSION=v3.21.4
# Kubernetes version Helm assumes without a cluster (helm template, helm lint): Helm's
# Makefile derives it from its k8s.io/client-go (v0.36.x -> 1.36); `go install` alone
# would leave Helm's built-in default of 1.20.
HELM_K8S_MAJOR=1
HELM_K8S_MINOR=36

log() { printf 'ci-tools: %s\n' "$*" >&2; }

stamp_ok() { [[ -x "$BIN/$1" && -f "$TOOLS/$1.stamp" && "$(cat "$TOOLS/$1.stamp")" == "$2" ]]; }

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    log "Go >= 1.26 is needed to build $1 (https://go.dev/dl, or your distribution's golang package if new enough)"
    exit 1
  fi
}

go_build_env() {
  # Never download another Go toolchain; build with the machine's Go, at low priority
  # (other work shares the cores).
  export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
}

install_helm() {
  local stamp="helm $HELM_VERSION k8s $HELM_K8S_MAJOR.$HELM_K8S_MINOR"
  stamp_ok helm "$stamp" && return
  need_go helm
  go_build_env
  log "building helm $HELM_VERSION from the Go module proxy (a few minutes on a cold cache)"
  local pkg=helm.sh/helm/v3
  GOBIN=$BIN nice -n 19 go install -trimpath -ldflags "-s -w \
    -X $pkg/internal/version.version=$HELM_VERSION \
    -X $pkg/pkg/chartutil.k8sVersionMajor=$HELM_K8S_MAJOR \
    -X $pkg/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR \
    -X $pkg/pkg/lint/rules.k8sVersionMajor=$HELM_K8S_MAJOR \
    -X $pkg/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR" \
    "$pkg/cmd/helm@$HELM_VERSION"
  printf '%s' "$stamp" >"$TOOLS/helm.stamp"
}

install_manifest_check() {
  local src=$ROOT/tools/manifest-check
  local stamp
  stamp=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
  stamp_ok manifest-check "$stamp" && return
  need_go manifest-check
  go_build_env
  log "building tools/manifest-check"
  (cd "$src" && nice -n 19 go build -trimpath -ldflags "-s -w" -o "$BIN/manifest-check" .)
  printf '%s' "$stamp" >"$TOOLS/manifest-check.stamp"
}

install_prometheus() {
  if [[ -x "$BIN/prometheus" && -x "$BIN/promtool" && -f "$TOOLS/prometheus.stamp" ]]; then
    return
  fi
  local dir=$TOOLS/prometheus
  if ! command -v apt-get >/dev/null 2>&1; then
    if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
      ln -sf "$(command -v prometheus)" "$BIN/prometheus"
      ln -sf "$(command -v promtool)" "$BIN/promtool"
      printf 'system' >"$TOOLS/prometheus.stamp"
      return
    fi
    log "Prometheus is needed: install Debian's package prometheus, or put prometheus and promtool on PATH"
    exit 1
  fi
  local candidate
  candidate=$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [[ -z "$candidate" || "$candidate" == "(none)" ]]; then
    if [[ $(id -u) -eq 0 ]]; then
      log "apt-get update (the package lists do not know prometheus yet)"
      apt-get update -qq
      candidate=$(apt-cache policy prometheus | awk '/Candidate:/ {print $2}')
    else
      log "the apt package lists do not know prometheus: run 'sudo apt-get update' once"
      exit 1
    fi
  fi
  log "unpacking Debian's prometheus $candidate into .cache/tools (not installed as a service)"
  local tmp
  tmp=$(mktemp -d)
  # Downloading into a directory the _apt user cannot write makes apt warn; harmless.
  (cd "$tmp" && apt-get download -qq "prometheus=$candidate" 2>/dev/null)
  rm -rf "$dir"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$dir"
  rm -rf "$tmp"
  ln -sf "$dir/usr/bin/prometheus" "$BIN/prometheus"
  ln -sf "$dir/usr/bin/promtool" "$BIN/promtool"
  printf '%s' "$candidate" >"$TOOLS/prometheus.stamp"
}

install_helm
install_manifest_check
install_prometheus

if [[ "${1:-}" == "--print-env" ]]; then
  printf 'SLUICE_TOOLS_BIN=%s\n' "$BIN"
else
  log "ready in $BIN: $("$BIN/helm" version --short), $("$BIN/prometheus" --version 2>&1 | head -1 | cut -d' ' -f1-3), manifest-check"
fi
