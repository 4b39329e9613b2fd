#!/usr/bin/env bash
# Runs the bundle locally, end to end, with nothing to configure: a loopback ClickHouse (installed when missing),
# the PagerDuty sandbox (unless real PagerDuty settings are in the environment) and the bundle on port 9093.
# Ctrl-C stops the bundle and the sandbox; ClickHouse keeps running (scripts/clickhouse.sh stop).
#   scripts/run-local.sh --kafka   Kafka mode: a local one-node broker (scripts/kafka.sh, 127.0.0.1:19092) and two
#                                  instances, on 9093 and 9094 (management 9876 and 9877); scripts/kafka.sh stop stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

kafka=false
if [ "${1:-}" = "--kafka" ]; then kafka=true; fi

export CLICKHOUSE_HTTP_PORT=${CLICKHOUSE_HTTP_PORT:-18123}
sandbox_port=${SANDBOX_PORT:-18080}
port=${CAMEL_SERVER_PORT:-9093}
mgmt=${CAMEL_MANAGEMENT_PORT:-9876}

scripts/install-prereqs.sh
echo "== building (mvn package, tests skipped)"
mvn -q -B -DskipTests package
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt >/dev/null

echo "== starting ClickHouse"
scripts/clickhouse.sh start
export CLICKHOUSE_URL=${CLICKHOUSE_URL:-$(scripts/clickhouse.sh url)}
export INFRASAGE_DATA_DIR=${INFRASAGE_DATA_DIR:-.local/data}
# no load balancer in front of a local run: Ctrl-C stops at once instead of staying unready for 5 s
export INFRASAGE_SHUTDOWN_DELAY=${INFRASAGE_SHUTDOWN_DELAY:-0s}
# the API needs a token (secure by default): a random one per run unless given; the commands below send it
export INFRASAGE_API_TOKEN=${INFRASAGE_API_TOKEN:-local-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

use_sandbox=true
if [ -n "${PAGERDUTY_SERVICE_KEY:-}${PAGERDUTY_ROUTING_RULES:-}" ]; then
  use_sandbox=false
  echo "== real PagerDuty settings found in the environment: no sandbox"
fi
mkdir -p .local
if $use_sandbox; then
  # local stand-ins: 32-character integration keys the sandbox accepts, one webhook secret shared with it
  export PAGERDUTY_EVENTS_URL="http://127.0.0.1:$sandbox_port/v2/enqueue"
  export PAGERDUTY_API_URL="http://127.0.0.1:$sandbox_port"
  export PAGERDUTY_API_TOKEN=sandbox-api-token
  export PAGERDUTY_API_FROM=infrasage-bot@example.com
  export PAGERDUTY_WEBHOOK_SECRETS=local-webhook-secret
  export PAGERDUTY_ROUTING_RULES='[
    {"service_pattern": "payment-*", "service_key": "paymentsteamkey00000000000000001", "team": "payments"},
    {"service_pattern": "infra-*", "service_key": "platformteamkey00000000000000001", "team": "platform"},
    {"service_pattern": "*", "service_key": "defaultteamkey000000000000000001", "team": "default"}
  ]'
  echo "== starting the PagerDuty sandbox on 127.0.0.1:$sandbox_port"
  SANDBOX_PORT=$sandbox_port SANDBOX_API_TOKEN=$PAGERDUTY_API_TOKEN SANDBOX_WEBHOOK_SECRETS=$PAGERDUTY_WEBHOOK_SECRETS \
    SANDBOX_WEBHOOK_URL="http://127.0.0.1:$port/api/v1/pagerduty/webhook" \
    java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" io.infrasage.pagerduty.sandbox.SandboxMain \
    > .local/sandbox.log 2>&1 &
  pids+=($!)
fi

# starts one instance: $1 API port, $2 management port, $3 log file
start_bundle() {
  echo "== starting the bundle on :$1 (management :$2); log in $3"
  CAMEL_SERVER_PORT=$1 CAMEL_MANAGEMENT_PORT=$2 java -jar target/infrasage-pagerduty-1.0.0-SNAPSHOT-app.jar > "$3" 2>&1 &
  pids+=($!)
  local start
  start=$(date +%s%N)
  for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$2/observe/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then echo "the bundle stopped; last lines of $3:" >&2; tail -n 30 "$3" >&2; exit 1; fi
    sleep 0.1
  done
  echo "== ready after $(( ($(date +%s%N) - start) / 1000000 )) ms: $(curl -s "http://127.0.0.1:$2/observe/health" | head -c 60)..."
}
if $kafka; then
  echo "== starting Kafka (one local broker, scripts/kafka.sh)"
  scripts/kafka.sh start
  export INFRASAGE_QUEUE=kafka KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:${KAFKA_PORT:-19092}}
  export KAFKA_REPLICATION_FACTOR=${KAFKA_REPLICATION_FACTOR:-1}
  start_bundle "$port" "$mgmt" .local/bundle.log
  start_bundle $((port + 1)) $((mgmt + 1)) .local/bundle-2.log
  echo "== two instances share Kafka: post to either (:$port or :$((port + 1))); kill one and the other delivers its pages"
else
  start_bundle "$port" "$mgmt" .local/bundle.log
fi

cat <<MSG

The API needs this run's bearer token (the commands below send it; export it to use the README's commands):
  export INFRASAGE_API_TOKEN=$INFRASAGE_API_TOKEN

Post a sample anomaly (the seed's example):
  curl -s -X POST http://127.0.0.1:$port/api/v1/anomalies -H "Authorization: Bearer $INFRASAGE_API_TOKEN" -H 'Content-Type: application/json' -d '{"anomaly_id":"anom-7f3d","service":"payment-api","metric":"CPU","value":87,"unit":"%","score":0.93,"root_cause":"CPU saturation from DB connection pool exhaustion","blast_radius":["user-service","checkout-service"],"suggested_actions":["Scale to 5 pods","Restart pods"],"rca_confidence":0.92,"environment":"production","infrasage_url":"https://infrasage.mycompany.com/incidents/anom-7f3d"}'
MSG
if $use_sandbox; then cat <<MSG

See the incident in the sandbox, and act on it as an engineer would (the sandbox sends signed webhooks back):
  curl -s http://127.0.0.1:$sandbox_port/sandbox/incidents
  curl -s -X POST http://127.0.0.1:$sandbox_port/sandbox/incidents/<id>/acknowledge -H 'Content-Type: application/json' -d '{"user":"Alice Example"}'
  curl -s -X POST http://127.0.0.1:$sandbox_port/sandbox/incidents/<id>/notes -H 'Content-Type: application/json' -d '{"user":"Alice Example","content":"Raised the DB pool to 50"}'
  curl -s -X POST http://127.0.0.1:$sandbox_port/sandbox/incidents/<id>/resolve -H 'Content-Type: application/json' -d '{"user":"Alice Example"}'
Or let a runbook resolve it through the bundle:
  curl -s -X POST http://127.0.0.1:$port/api/v1/anomalies/anom-7f3d/resolve -H "Authorization: Bearer $INFRASAGE_API_TOKEN" -H 'Content-Type: application/json' -d '{"runbook":"scale-up","actor":"runbook-bot"}'
MSG
fi
cat <<MSG

The rows in ClickHouse:
  curl -s http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ --data-binary "SELECT anomaly_id, status, severity, teams, incident_id, acknowledged_by, resolved_by FROM infrasage.anomaly_state ORDER BY version FORMAT PrettyCompact"
  curl -s http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ --data-binary "SELECT at, anomaly_id, action, actor_kind, actor_name FROM infrasage.audit_log FINAL ORDER BY at FORMAT PrettyCompact"
  curl -s http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ --data-binary "SELECT anomaly_id, incident_id, notes, resolved_by FROM infrasage.incident_memory FINAL FORMAT PrettyCompact"
The incidents the bundle created (verification):
  curl -s -H "Authorization: Bearer $INFRASAGE_API_TOKEN" 'http://127.0.0.1:$port/api/v1/pagerduty/incidents?status=triggered,acknowledged'
Health and metrics: http://127.0.0.1:$mgmt/observe/health  http://127.0.0.1:$mgmt/observe/metrics

Running; Ctrl-C stops the bundle$($use_sandbox && echo " and the sandbox").
MSG
wait -n "${pids[@]}"
