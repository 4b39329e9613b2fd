#!/usr/bin/env bash
# scripts/benchmark.sh user: the bundle measured as a user measures it, side by side with Alertmanager in the same run.
# Every part is a process of its own: wrk (the load), the bundle (java -jar, the README's JVM options), a PagerDuty
# stand-in (PagerDutySink.java: 202 to every event, counted), ClickHouse, and Alertmanager fed the same anomalies as
# alerts. Feeds: batches of 64 over 8 connections, and one per POST over 32 connections (bundle only: Prometheus feeds
# Alertmanager batches), each on 1 routing key and on 20. Figures per feed: delivered events/s from the first POST to
# the stand-in's last event, and each process's CPU ms per delivered event. Then the accept latency at 200/s (one per
# POST), time to ready and peak RSS. Called by scripts/benchmark.sh after the build and ClickHouse are up; in its
# user-kafka mode also after a broker of its own (BENCH_KAFKA_BOOTSTRAP_SERVERS): then the bundle queues through Kafka
# (INFRASAGE_QUEUE=kafka, one instance) and the broker's CPU has a column of its own.
# Env: BENCH_USER_SECONDS (load per feed, default 15), BENCH_PROFILE=async (async-profiler on the bundle per feed, its
#      collapsed stacks in the run's profiles/; BENCH_PROFILE_OPTIONS sets its options, default event=cpu,interval=10ms; event=wall,threads shows waiting too).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds=${BENCH_USER_SECONDS:-15}
run=u$(date +%s)
out=target/benchmark/user-$run
mkdir -p "$out"
report=target/benchmark/report-${BENCH_USER_MODE:-user}.md
sink_port=${BENCH_SINK_PORT:-19561}
am_port=${BENCH_AM_PORT:-19562}
bundle_port=${BENCH_BUNDLE_PORT:-19563}
mgmt_port=${BENCH_BUNDLE_MANAGEMENT_PORT:-19564}
token=bench-api-token
queue_env=()
queue_label="SQLite (the default)"
if [ -n "${BENCH_KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  queue_env=(INFRASAGE_QUEUE=kafka KAFKA_BOOTSTRAP_SERVERS="$BENCH_KAFKA_BOOTSTRAP_SERVERS" KAFKA_TOPIC_PREFIX="bench-$run." KAFKA_REPLICATION_FACTOR=1)
  queue_label="Kafka (INFRASAGE_QUEUE=kafka, one instance, one local broker)"
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

am_bin=$(command -v prometheus-alertmanager || command -v alertmanager)

ms() { date +%s%3N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
tick_hz=$(getconf CLK_TCK)
key() { printf 'bench-service-key-%02d000000000000' "$1"; }

rules="["
for i in $(seq 0 19); do
  [ "$i" = 0 ] || rules+=","
  rules+=$(printf '{"service_pattern":"svc-%02d","service_key":"%s","team":"team-%02d"}' "$i" "$(key "$i")" "$i")
done
rules+="]"

echo "== PagerDuty stand-in on 127.0.0.1:$sink_port"
java -Xmx128m -XX:+UseSerialGC scripts/bench/PagerDutySink.java "$sink_port" > "$out/sink.log" 2>&1 &
sink=$!; pids+=("$sink")
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$sink_port/stats" >/dev/null 2>&1 && break; sleep 0.1; done

am_config=$out/alertmanager.yml
{
  echo "route:"; echo "  receiver: pd-00"; echo "  group_by: ['...']"; echo "  group_wait: 0s"; echo "  group_interval: 1s"
  echo "  repeat_interval: 4h"; echo "  routes:"
  for i in $(seq 0 19); do printf "  - receiver: pd-%02d\n    matchers: ['service=\"svc-%02d\"']\n" "$i" "$i"; done
  echo "receivers:"
  for i in $(seq 0 19); do
    printf -- "- name: pd-%02d\n  pagerduty_configs:\n  - routing_key: '%s'\n    url: 'http://127.0.0.1:%s/v2/enqueue'\n" "$i" "$(key "$i")" "$sink_port"
    printf "    send_resolved: false\n    severity: critical\n"
  done
} > "$am_config"
# Alertmanager runs for its own feeds only, each time on fresh storage: while it holds the alerts of a feed it keeps
# using about a core after its last notification, which would otherwise be taken from the bundle's next feeds
am=""
start_alertmanager() {
  "$am_bin" --config.file="$am_config" --storage.path="$out/alertmanager-data-$1" --web.listen-address="127.0.0.1:$am_port" \
    --cluster.listen-address= --log.level=warn >> "$out/alertmanager.log" 2>&1 &
  am=$!; pids+=("$am")
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$am_port/-/ready" >/dev/null 2>&1 && break; sleep 0.1; done
}
am_after=()
# stop_alertmanager <routing keys>: notes the CPU it still uses in the 5 s after its last event, then stops it
stop_alertmanager() {
  local a0 a1; a0=$(cpu_ticks "$am"); sleep 5; a1=$(cpu_ticks "$am")
  am_after+=("$1 routing key(s): $(( (a1 - a0) * 1000 / tick_hz / 5 )) ms of CPU per second")
  kill "$am"; wait "$am" 2>/dev/null || true
}

# start_bundle <name> <port> <management port> [JVM options...]: runs the jar in the background as operators do;
# sets bundle_pid, and ready_ms from java -jar to /observe/health/ready answering 200
start_bundle() {
  local name=$1 port=$2 mgmt=$3 started; shift 3
  started=$(ms)
  # shellcheck disable=SC2086
  env CAMEL_SERVER_PORT=$port CAMEL_SERVER_HOST=127.0.0.1 CAMEL_MANAGEMENT_PORT=$mgmt CAMEL_MANAGEMENT_HOST=127.0.0.1 \
    CLICKHOUSE_URL="${CLICKHOUSE_URL/\/infrasage\?//bench_$run?}" INFRASAGE_DATA_DIR="$out/$name-data" \
    PAGERDUTY_EVENTS_URL="http://127.0.0.1:$sink_port/v2/enqueue" PAGERDUTY_ROUTING_RULES="$rules" PAGERDUTY_SERVICE_KEY="$(key 0)" \
    PAGERDUTY_WEBHOOK_SECRETS=bench-webhook-secret INFRASAGE_API_TOKEN=$token \
    PAGERDUTY_RATE_LIMIT_PER_MINUTE=10000000 PAGERDUTY_RATE_LIMIT_BURST=1000000 \
    "${queue_env[@]}" java $BENCH_BUNDLE_JAVA_OPTS "$@" -jar "$jar" > "$out/$name.log" 2>&1 &
  bundle_pid=$!; pids+=("$bundle_pid")
  until curl -fs "http://127.0.0.1:$mgmt/observe/health/ready" >/dev/null 2>&1; do
    kill -0 "$bundle_pid" 2>/dev/null || { echo "the bundle exited; see $out/$name.log" >&2; exit 1; }
    sleep 0.02
  done
  ready_ms=$(( $(ms) - started ))
}

jar=$(ls target/infrasage-pagerduty-*-app.jar | head -n 1)
echo "== bundle on 127.0.0.1:$bundle_port"
start_bundle bundle "$bundle_port" "$mgmt_port"
bundle=$bundle_pid
bundle_ready_ms=$ready_ms
echo "   ready in $bundle_ready_ms ms"
# before any load, so both starts meet the same quiet machine
echo "== ready with a class-data archive (scripts/class-archive.sh), a second instance on ports of its own"
scripts/class-archive.sh "$jar" "$out/bundle.jsa" > /dev/null
# in Kafka mode on topics of its own, so that its joining and leaving does not move the first instance's partitions
[ ${#queue_env[@]} -eq 0 ] || queue_env+=(KAFKA_TOPIC_PREFIX="bench-$run-archived.")
start_bundle archived $((bundle_port + 10)) $((mgmt_port + 10)) -XX:SharedArchiveFile="$out/bundle.jsa"
[ ${#queue_env[@]} -eq 0 ] || unset 'queue_env[-1]'
archived_ready_ms=$ready_ms
echo "   ready in $archived_ready_ms ms"
kill "$bundle_pid"
wait "$bundle_pid" 2>/dev/null || true

# the stand-in's count once it has held still for 3 s (or 300 s passed): "events distinct first_ms last_ms"
settled() {
  local last="" now same=0
  for _ in $(seq 1 3000); do
    now=$(curl -fs "http://127.0.0.1:$sink_port/stats")
    if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; last=$now; fi
    [ "$same" -ge 30 ] && break
    sleep 0.1
  done
  echo "$last"
}

profile_dir=""
if [ "${BENCH_PROFILE:-}" = async ]; then profile_dir=$out/profiles; mkdir -p "$profile_dir"; fi

rows=()
# feed <label> <target: bundle|alertmanager> <batch> <connections> <routing keys>
feed() {
  local label=$1 target=$2 batch=$3 conns=$4 keys=$5 url pid
  local name=$target-$batch-$conns
  if [ "$target" = bundle ]; then url=http://127.0.0.1:$bundle_port; pid=$bundle
  else start_alertmanager "$keys"; url=http://127.0.0.1:$am_port; pid=$am; fi
  curl -fs -XPOST "http://127.0.0.1:$sink_port/reset" >/dev/null
  local c0 s0 h0 k0 t0; c0=$(cpu_ticks "$pid"); s0=$(cpu_ticks "$sink"); h0=$(cpu_ticks "${BENCH_CLICKHOUSE_PID:--1}")
  k0=$(cpu_ticks "${BENCH_KAFKA_PID:--1}")
  if [ -n "$profile_dir" ] && [ "$target" = bundle ]; then
    jcmd "$bundle" JVMTI.agent_load "$BENCH_ASYNC_PROFILER_LIB" "\"start,${BENCH_PROFILE_OPTIONS:-event=cpu,interval=10ms}\"" >/dev/null
  fi
  t0=$(ms)
  local TIMEFORMAT='%U %S'
  { time BENCH_TARGET=$target BENCH_BATCH=$batch BENCH_SERVICES=$keys BENCH_RUN="$run-$name-$keys" BENCH_API_TOKEN=$token \
      wrk -t2 -c"$conns" -d"${seconds}s" -s scripts/bench/post.lua "$url" > "$out/wrk-$name-$keys.txt" 2>&1 ; } 2> "$out/wrk-$name-$keys.time"
  local accepted; accepted=$(awk '/^accepted/ {print $2}' "$out/wrk-$name-$keys.txt")
  local stats; stats=$(settled)
  if [ -n "$profile_dir" ] && [ "$target" = bundle ]; then
    jcmd "$bundle" JVMTI.agent_load "$BENCH_ASYNC_PROFILER_LIB" "\"stop,file=$root/$profile_dir/$name-$keys.collapsed.txt,collapsed\"" >/dev/null
  fi
  local c1 s1 h1 k1; c1=$(cpu_ticks "$pid"); s1=$(cpu_ticks "$sink"); h1=$(cpu_ticks "${BENCH_CLICKHOUSE_PID:--1}")
  k1=$(cpu_ticks "${BENCH_KAFKA_PID:--1}")
  read -r events distinct first last <<< "$stats"
  read -r wu ws < "$out/wrk-$name-$keys.time"
  local row
  row=$(awk -v n="$label" -v k="$keys" -v a="$accepted" -v e="$events" -v d="$distinct" -v t0="$t0" -v l="$last" \
      -v c="$((c1 - c0))" -v s="$((s1 - s0))" -v h="$((h1 - h0))" -v kb="$((k1 - k0))" -v kafka="${BENCH_KAFKA_PID:+1}" -v wu="$wu" -v ws="$ws" -v hz="$tick_hz" -v tg="$target" 'BEGIN {
    secs = (l - t0) / 1000; rate = secs > 0 ? d / secs : 0; per = d > 0 ? 1000 / hz / d : 0
    printf "| %s | %s | %d | %d | %d | %.1f | %.0f | %.3f | %.3f | %s | %s | %.3f |", n, k, a, d, e - d, secs, rate, c * per,
      s * per, (tg == "bundle" ? sprintf("%.3f", h * per) : "–"), (tg == "bundle" && kafka ? sprintf("%.3f", kb * per) : "–"),
      (wu + ws) * 1000 / (d > 0 ? d : 1) }')
  rows+=("$row")
  echo "   $row"
  [ "$target" = bundle ] || stop_alertmanager "$keys"
}

for keys in 1 20; do
  echo "== $keys routing key(s)"
  feed "bundle, batches of 64, 8 connections" bundle 64 8 "$keys"
  feed "Alertmanager, batches of 64, 8 connections" alertmanager 64 8 "$keys"
  feed "bundle, one per POST, 32 connections" bundle 1 32 "$keys"
done

echo "== accept latency at 200/s, one per POST (10 connections, one POST each per 50 ms)"
BENCH_TARGET=bundle BENCH_BATCH=1 BENCH_SERVICES=20 BENCH_RUN="$run-latency" BENCH_API_TOKEN=$token BENCH_DELAY_MS=50 \
  wrk -t2 -c10 -d"${seconds}s" --latency -s scripts/bench/post.lua "http://127.0.0.1:$bundle_port" > "$out/wrk-latency.txt" 2>&1
p50=$(awk '$1 == "50%" {print $2}' "$out/wrk-latency.txt"); p99=$(awk '$1 == "99%" {print $2}' "$out/wrk-latency.txt")
rate=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out/wrk-latency.txt")
settled >/dev/null
hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$bundle/status")

{
  echo "# InfraSage PagerDuty bundle: benchmark, user mode ($run)"
  echo
  echo "$(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg); wrk $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f2);"
  echo "$($am_bin --version 2>&1 | head -n 1); bundle JVM options: ${BENCH_BUNDLE_JAVA_OPTS:-(JVM defaults)};"
  echo "$seconds s of load per feed; every process its own: wrk, bundle, PagerDuty stand-in (PagerDutySink.java), ClickHouse, Alertmanager."
  echo "Bundle queue: $queue_label."
  echo "Delivered/s: distinct events the stand-in received, from the first POST to its last event. CPU: ms per delivered event."
  echo
  echo "| feed | routing keys | accepted | delivered | repeats | seconds | delivered/s | target CPU | stand-in CPU | ClickHouse CPU | broker CPU | wrk CPU |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "| figure | measured |"
  echo "|---|---|"
  echo "| ready (java -jar to /observe/health/ready 200) | $bundle_ready_ms ms |"
  echo "| ready with a class-data archive (scripts/class-archive.sh) | $archived_ready_ms ms |"
  echo "| accept p50 / p99 at ${rate}/s, one per POST | $p50 / $p99 |"
  echo "| bundle peak RSS (VmHWM) | $hwm MiB |"
  echo
  echo "Alertmanager in the 5 s after its last event, before it was stopped (it holds the feed's alerts): $(IFS=';'; echo "${am_after[*]}")."
  [ -n "$profile_dir" ] && echo && echo "Profiles (async-profiler, collapsed stacks): $profile_dir"
} > "$report"
cp "$report" "$out/"
echo "== report: $report"
cat "$report"
