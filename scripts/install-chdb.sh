#!/usr/bin/env bash
# Installs chDB, ClickHouse 26.x as an in-process library (no server), from the npm registry into .local/chdb, for
# ModernClickHouseTest, which proves the bundle's SQL on modern ClickHouse as the integration tests do on 18.16.
# The version and the tarball's hash are pinned; when that version is already there it only prints the path.
# Prints the path of libchdb.so on stdout; npm's output goes to stderr. Env: CHDB_DIR (default .local/chdb).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
package=@chdb/lib-linux-x64-gnu
version=26.5.3
integrity=sha512-fPrLmRt5Moor9yGz4mazbrNje4t7X9KB2mTGkXFWRxRBs2iKy8yh6jx11xsa0Qr3iDFMU/yHqd+bVdYJXu3QaQ==
dir=${CHDB_DIR:-$root/.local/chdb}
home=$dir/node_modules/$package

installed() {
  [ -f "$home/libchdb.so" ] && grep -q "\"version\": *\"$version\"" "$home/package.json" 2>/dev/null \
    && grep -qF "\"integrity\": \"$integrity\"" "$dir/node_modules/.package-lock.json" 2>/dev/null
}

if ! installed; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-chdb: npm is missing; scripts/install-prereqs.sh installs it (Debian's nodejs and npm)" >&2
    exit 1
  fi
  echo "install-chdb: installing $package@$version into $dir (a 170 MB download, 530 MB installed)" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$package@$version" >&2
  if ! installed; then
    echo "install-chdb: $package@$version is not in $home after npm install (or its hash is not the pinned one)" >&2
    exit 1
  fi
fi
echo "$home/libchdb.so"
