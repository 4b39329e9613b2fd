#!/usr/bin/env bash
# Installs what the bundle's commands need and a fresh Debian machine may lack, from Debian's packages:
# a JDK 17, Maven, curl, ClickHouse (the server the tests and the local run use) and npm (which scripts/install-chdb.sh
# uses to fetch chDB, the modern ClickHouse the tests also run the bundle's SQL and driver on) and ZooKeeper (which
# the replicated-cluster test's two ClickHouse servers share, scripts/zookeeper.sh). Does nothing when all are there.
set -euo pipefail
. "$(dirname "$0")/lib/apt-install.sh"
need=()
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v clickhouse-server >/dev/null 2>&1 || need+=(clickhouse-server)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-prereqs: installing ${need[*]}"
  apt_install "${need[@]}"
fi
