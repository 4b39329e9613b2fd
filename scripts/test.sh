#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests against a real ClickHouse server (started by the tests through
# scripts/clickhouse.sh) and the local PagerDuty sandbox over real HTTP. Installs what a fresh machine lacks first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prereqs.sh
exec mvn -B -ntp clean verify "$@"
