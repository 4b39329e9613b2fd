#!/usr/bin/env bash
# Writes a class-data archive (AppCDS) for the runnable jar: started with -XX:SharedArchiveFile=<archive>, the JVM maps
# the bundle's classes ready-parsed instead of loading some 8,000 of them one by one, and the bundle is ready sooner.
#   scripts/class-archive.sh [jar] [archive]
# Defaults: target/infrasage-pagerduty-*-app.jar and target/infrasage-pagerduty.jsa. It starts the jar once on
# loopback with throwaway settings (no PagerDuty, no ClickHouse, a temporary data folder), lets Camel Main stop it after
# a second of running, and the JVM writes the archive as it exits. An archive fits only the jar and the JVM build it was
# written with: run this where the bundle runs (an image build, a package's postinst). With any other jar or JVM the
# JVM says so in one warning and starts as it would without the archive.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=${1:-$(ls target/infrasage-pagerduty-*-app.jar 2>/dev/null | head -n 1)}
archive=${2:-target/infrasage-pagerduty.jsa}
[ -f "$jar" ] || { echo "class-archive.sh: no jar at '$jar' (build it with mvn -DskipTests package)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f "$archive"
# the settings only have to be valid: nothing is sent anywhere, and every port is the system's choice
env -i PATH="$PATH" HOME="$work" CAMEL_MAIN_DURATIONMAXSECONDS=1 INFRASAGE_SHUTDOWN_DELAY=0s INFRASAGE_DATA_DIR="$work/data" \
  CAMEL_SERVER_HOST=127.0.0.1 CAMEL_SERVER_PORT=0 CAMEL_MANAGEMENT_HOST=127.0.0.1 CAMEL_MANAGEMENT_PORT=0 \
  PAGERDUTY_EVENTS_URL=http://127.0.0.1:9/v2/enqueue PAGERDUTY_SERVICE_KEY=class-archive-training-run-00000 \
  PAGERDUTY_WEBHOOK_SECRETS=class-archive INFRASAGE_API_TOKEN=class-archive \
  CLICKHOUSE_URL='jdbc:clickhouse://127.0.0.1:9/class_archive?clickhouse.jdbc.v1=true' \
  java -XX:ArchiveClassesAtExit="$archive" -Xlog:cds=off -Xlog:cds+dynamic=off ${CLASS_ARCHIVE_JAVA_OPTS:-} -jar "$(realpath "$jar")" \
  > "$work/training.log" 2>&1 || { echo "class-archive.sh: the training run failed:" >&2; tail -n 20 "$work/training.log" >&2; exit 1; }
[ -s "$archive" ] || { echo "class-archive.sh: the JVM wrote no archive; see its output:" >&2; tail -n 20 "$work/training.log" >&2; exit 1; }
echo "$archive ($(du -h "$archive" | cut -f1)): run the bundle with java -XX:SharedArchiveFile=$archive ... -jar $jar"
