#!/usr/bin/env bash
# Start, stop or check the project's local ClickHouse server (Debian's clickhouse-server, 127.0.0.1 only,
# data under .local/clickhouse). Installs the package when it is missing.
#   scripts/clickhouse.sh start|stop|status|url
# Env: CLICKHOUSE_HTTP_PORT (default 18123), CLICKHOUSE_TCP_PORT (default 19000), CLICKHOUSE_DIR.
set -euo pipefail
. "$(dirname "$0")/lib/stop-process.sh"
. "$(dirname "$0")/lib/apt-install.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${CLICKHOUSE_DIR:-$root/.local/clickhouse}
http_port=${CLICKHOUSE_HTTP_PORT:-18123}
tcp_port=${CLICKHOUSE_TCP_PORT:-19000}
pidfile=$dir/server.pid

install_if_missing() {
  command -v clickhouse-server >/dev/null 2>&1 && return 0
  echo "clickhouse.sh: installing Debian's clickhouse-server" >&2
  apt_install clickhouse-server
}

answering() { curl -fsS --max-time 2 "http://127.0.0.1:$http_port/?query=SELECT%201" >/dev/null 2>&1; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  mkdir -p "$dir"/{data,tmp,log,user_files,format_schemas}
  # two test JVMs may start the shared server at once: the second waits, then finds it answering
  exec 9>"$dir/start.lock"
  flock 9
  if answering; then echo "ClickHouse already answering on 127.0.0.1:$http_port"; return 0; fi
  install_if_missing
  sed -e "s#@DIR@#$dir#g" -e "s#@HTTP_PORT@#$http_port#g" -e "s#@TCP_PORT@#$tcp_port#g" \
    "$root/config/clickhouse-local.xml" > "$dir/config.xml"
  # in the background, detached from this shell's output, its pid kept for stop
  cd "$dir"
  nohup clickhouse-server --config-file="$dir/config.xml" > "$dir/log/stdout.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$pidfile"
  cd - >/dev/null
  # a server with many parts to load on a busy machine can take well over 15 s (seen after a benchmark storm)
  for _ in $(seq 1 900); do
    if answering; then echo "ClickHouse ready on 127.0.0.1:$http_port (data in $dir)"; return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "clickhouse.sh: ClickHouse did not answer (gave up after 90 s, or it exited); see $dir/log/" >&2
  tail -n 20 "$dir/log/server.err.log" "$dir/log/stdout.log" >&2 2>/dev/null || true
  return 1
}

stop() {
  if ! running; then
    # a server of this folder whose pid file was lost
    local found; found=$(pgrep -f -- "--config-file=$dir/config.xml" | head -n 1 || true)
    [ -n "$found" ] && echo "$found" > "$pidfile"
  fi
  if running; then
    stop_process "$pidfile" 10
    echo "ClickHouse stopped"
  else
    echo "ClickHouse not running (no live pid in $pidfile)"
  fi
}

url() {
  # The legacy-mode URL that com.clickhouse:clickhouse-jdbc 0.11 needs to talk to ClickHouse 18.16 (docs: design.md).
  echo "jdbc:clickhouse://127.0.0.1:$http_port/infrasage?clickhouse.jdbc.v1=true&server_version=18.16.1&server_time_zone=UTC&compress=false&format=TabSeparatedWithNamesAndTypes&custom_http_params=default_format=TabSeparatedWithNamesAndTypes"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answering; then echo "up on 127.0.0.1:$http_port"; else echo "down"; exit 1; fi ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
