#!/usr/bin/env bash
# The benchmark, in one command (docs/benchmarks.md has the figures and how to read them):
#   scripts/benchmark.sh          start-up time, HTTP ceiling, accept latency at 50/200/1000 per second (one anomaly per
#                                 POST), end to end side by side with Prometheus Alertmanager in the same run: each fed
#                                 one per POST and fed batches of 64 per POST (a JSON array, as Prometheus' notifier feeds
#                                 Alertmanager), each with 32 and with 64 connections: delivered events/s, accept latency,
#                                 CPU ms per delivered event of each process; signed webhooks persisted to ClickHouse,
#                                 memory under load (about 9-11 minutes)
#   scripts/benchmark.sh user     as a user measures it, every part a process of its own: wrk, the bundle, a PagerDuty
#                                 stand-in, ClickHouse and Alertmanager side by side; batches of 64 and one per POST, on
#                                 1 routing key and on 20; delivered/s, CPU per delivered event of each process, accept
#                                 latency at 200/s, ready time, RSS (scripts/bench/user.sh; about 4 minutes)
#   scripts/benchmark.sh user-kafka the same with the bundle queueing through a local broker of its own (INFRASAGE_QUEUE=kafka)
#   scripts/benchmark.sh storm    10,000 anomalies over 20 routing keys within 30 s against PagerDuty's 120/min per key
#                                 (about 6 minutes: the drain alone takes at least 4.2)
#   scripts/benchmark.sh crash    kill -9 the bundle during a storm and during a PagerDuty outage (about 3 minutes)
#   scripts/benchmark.sh kafka    Kafka mode (INFRASAGE_QUEUE=kafka): two instances on one local broker, the load spread
#                                 over both; start-up, accept latency at 50/200/1000 per second, end to end fed one per
#                                 POST and in batches at 32 and 64 connections, CPU per delivered event of both instances
#                                 summed (and the broker's on its own), Alertmanager fed batches beside it, memory (about
#                                 6-8 minutes; BENCH_SKIP= adds the ceiling and webhook phases)
#   scripts/benchmark.sh kafka-crash
#                                 Kafka mode: the crash storm over two instances; kill -9 one during the storm (it is
#                                 started again) and again during a PagerDuty outage (left dead): accepted against
#                                 delivered, duplicates, order per key, 429s at the sandbox (about 3 minutes)
# It installs what it needs (JDK, Maven, ClickHouse, prometheus-alertmanager and wrk from Debian), builds, starts its own
# loopback ClickHouse on ports of its own (other checkouts' servers are left alone), and runs the driver
# (io.infrasage.pagerduty.bench.Benchmark, test sources), which runs the PagerDuty sandbox in-process and starts the
# bundle as operators do: java -jar target/infrasage-pagerduty-1.0.0-SNAPSHOT-app.jar, configured by environment.
# The Kafka modes also start a one-node broker of their own (scripts/kafka.sh, on BENCH_KAFKA_PORT, default 19392, fresh
# data under .local/kafka-bench) and stop it afterwards; a broker already answering on that port is used as it is.
# Everything listens on 127.0.0.1 only; every load is bounded in count and time. Report: target/benchmark/report-<mode>.md
# Env: BENCH_BUNDLE_JAVA_OPTS (JVM options of the bundle, default below), MALLOC_ARENA_MAX, BENCH_CLICKHOUSE_HTTP_PORT/TCP_PORT,
#      BENCH_KAFKA_PORT, BENCH_KAFKA_PARTITIONS (default 12, as the bundle), BENCH_KAFKA_INSTANCES (kafka mode, default 2),
#      and what the driver reads (all and kafka modes):
#      BENCH_THROUGHPUT_COUNT  anomalies (alerts) per end-to-end run fed one per POST (default 10000)
#      BENCH_BATCH_COUNT       anomalies (alerts) per end-to-end run fed in batches (default twice BENCH_THROUGHPUT_COUNT)
#      BENCH_BATCH_SIZE        anomalies (alerts) per POST when fed in batches (default 64, Prometheus' notifier's batch)
#      BENCH_CONNECTIONS       connections of the end-to-end runs and the ceiling, comma-separated (default 32,64)
#      BENCH_STEP_SECONDS      length of each open-loop accept-latency step (default 10)
#      BENCH_WEBHOOK_COUNT, BENCH_WEBHOOK_CONCURRENCY (default 64), BENCH_WEBHOOK_RATE
#      BENCH_SKIP              phases left out, comma-separated: ceiling, pipeline, alertmanager, webhooks, and within the
#                              pipeline rates (open-loop steps), single (fed one per POST), batch (fed in batches);
#                              kafka mode's default is ceiling,webhooks
#      BENCH_PROFILE=1         records the bundle with JFR (jcmd JFR.start/JFR.stop, settings=profile) during each
#                              end-to-end feed and the webhook phase, and adds each phase's top frames to the report
#                              (recordings in target/benchmark/<mode>-<run>/jfr/; scripts/jfr-top.sh summarises any)
#      BENCH_PROFILE=async     the same with async-profiler (fetched from Maven Central, tools.profiler:async-profiler,
#                              loaded into the bundle with jcmd JVMTI.agent_load; event=cpu, every 10 ms of CPU): it
#                              sees native code, GC and JIT too, where JFR samples Java code only
#      and for the other modes BENCH_STORM_COUNT, BENCH_STORM_SECONDS, BENCH_CRASH_COUNT, BENCH_CRASH_RATE, BENCH_CRASH_POSTERS.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
case "$mode" in
  all|storm|crash|kafka|kafka-crash|user|user-kafka) ;;
  *) echo "usage: $0 [all|storm|crash|kafka|kafka-crash|user|user-kafka]" >&2; exit 2 ;;
esac

export CLICKHOUSE_HTTP_PORT=${BENCH_CLICKHOUSE_HTTP_PORT:-18323}
export CLICKHOUSE_TCP_PORT=${BENCH_CLICKHOUSE_TCP_PORT:-19323}
export CLICKHOUSE_DIR=${BENCH_CLICKHOUSE_DIR:-$PWD/.local/clickhouse-bench}
# The bundle runs with the JVM options docs/operations.md recommends for production (section "Memory"); set
# BENCH_BUNDLE_JAVA_OPTS="" for the JVM's defaults. glibc's malloc arenas (one per thread by default) are capped as well.
export BENCH_BUNDLE_JAVA_OPTS=${BENCH_BUNDLE_JAVA_OPTS-"-Xms64m -Xmx192m -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=64m -Xss512k -XX:TrimNativeHeapInterval=5000"}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}

scripts/install-prereqs.sh
. scripts/lib/apt-install.sh
need=()
# Alertmanager runs side by side (its service is not started); wrk is the user mode's load tool
command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing Debian's ${need[*]}"
  apt_install "${need[@]}"
fi

echo "== building (mvn package, tests compiled, not run)"
mvn -o -q -B -DskipTests package || mvn -q -B -DskipTests package
mvn -o -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt >/dev/null \
  || mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt >/dev/null

if [ "${BENCH_PROFILE:-0}" = async ]; then
  # async-profiler from Maven Central (its jar carries the native library), unpacked once under .local/
  ap_version=4.1
  ap_dir=$PWD/.local/async-profiler-$ap_version
  case "$(uname -m)" in aarch64|arm64) ap_arch=linux-arm64 ;; *) ap_arch=linux-x64 ;; esac
  if [ ! -f "$ap_dir/libasyncProfiler.so" ]; then
    ap_artifact=tools.profiler:async-profiler:$ap_version:jar:$ap_arch
    mvn -o -q -B dependency:copy -Dartifact=$ap_artifact -DoutputDirectory="$ap_dir" \
      || mvn -q -B dependency:copy -Dartifact=$ap_artifact -DoutputDirectory="$ap_dir"
    unzip -qjo "$ap_dir/async-profiler-$ap_version-$ap_arch.jar" "$ap_arch/libasyncProfiler.so" -d "$ap_dir"
  fi
  export BENCH_ASYNC_PROFILER_LIB=$ap_dir/libasyncProfiler.so
fi

ch_was_up=false
if scripts/clickhouse.sh status >/dev/null 2>&1; then ch_was_up=true; fi
# stopped, the benchmark's own ClickHouse holds only earlier runs' databases: an empty folder costs nothing, while
# dropping them below (gigabytes of parts) can take ClickHouse 18.16 minutes
if ! $ch_was_up && [ "$CLICKHOUSE_DIR" = "$PWD/.local/clickhouse-bench" ]; then rm -rf "$CLICKHOUSE_DIR"; fi
echo "== ClickHouse on 127.0.0.1:$CLICKHOUSE_HTTP_PORT"
scripts/clickhouse.sh start
export CLICKHOUSE_URL=$(scripts/clickhouse.sh url)
# for the server's CPU time per delivered event (the bundle's state goes there; Alertmanager has none)
export BENCH_CLICKHOUSE_PID=$(cat "$CLICKHOUSE_DIR/server.pid" 2>/dev/null || echo -1)
# every run writes to a database of its own (bench_*, storm_*, crash_*); earlier runs' databases are dropped first,
# or their background merges (gigabytes after a few runs) compete with the run for the CPUs and the disk
# bounded: a DROP of a database with many parts once hung on ClickHouse 18.16 for minutes, and the run with it
ch_query() { curl -sf --max-time 120 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/" --data-binary "$1"; }
for db in $(ch_query "SELECT name FROM system.databases WHERE match(name, '^(bench|storm|crash)_[a-z0-9]+\$')"); do
  echo "== dropping database $db of an earlier benchmark run"
  ch_query "DROP DATABASE IF EXISTS $db" >/dev/null \
    || echo "== could not drop $db within 120 s: the run goes on, beside its merges"
done

driver=""
kafka_started=false
kafka_env() { KAFKA_PORT=${BENCH_KAFKA_PORT:-19392} KAFKA_DIR=${BENCH_KAFKA_DIR:-$PWD/.local/kafka-bench} "$@"; }
cleanup() {
  if [ -n "$driver" ] && kill -0 "$driver" 2>/dev/null; then
    kill "$driver" 2>/dev/null || true   # its shutdown hook stops the bundle, Alertmanager and the responder it started
    wait "$driver" 2>/dev/null || true
  fi
  if $kafka_started; then kafka_env scripts/kafka.sh stop >/dev/null || true; fi
  if ! $ch_was_up; then scripts/clickhouse.sh stop >/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$mode" in
  kafka*|user-kafka)
    kafka_port=${BENCH_KAFKA_PORT:-19392}
    kafka_dir=${BENCH_KAFKA_DIR:-$PWD/.local/kafka-bench}
    if (exec 3<>"/dev/tcp/127.0.0.1/$kafka_port") 2>/dev/null; then
      echo "== Kafka already answers on 127.0.0.1:$kafka_port: using it"
    else
      # a broker of the benchmark's own, from empty: earlier runs' topics would only cost disk and start-up time
      rm -rf "$kafka_dir/data"
      echo "== Kafka on 127.0.0.1:$kafka_port"
      kafka_started=true
      kafka_env scripts/kafka.sh start
      export BENCH_KAFKA_PID=$(cat "$kafka_dir/pid")
    fi
    export BENCH_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$kafka_port
    ;;
esac

mkdir -p target/benchmark
if [[ "$mode" = user* ]]; then
  BENCH_USER_MODE=$mode bash scripts/bench/user.sh
  exit
fi
echo "== benchmark $mode ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)); bundle JVM options: ${BENCH_BUNDLE_JAVA_OPTS:-(JVM defaults)}"
java -Xmx3g -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
  io.infrasage.pagerduty.bench.Benchmark "$mode" > >(tee "target/benchmark/$mode.log") 2>&1 &
driver=$!
set +e
wait "$driver"
rc=$?
set -e
driver=""
exit $rc
