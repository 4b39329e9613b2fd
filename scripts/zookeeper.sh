#!/usr/bin/env bash
# Start, stop or check a local ZooKeeper (Debian's zookeeper package, standalone, 127.0.0.1 only, data under
# .local/zookeeper), the coordination service a replicated ClickHouse cluster needs (docs/clickhouse-cluster.md).
# Installs the package when it is missing.
#   scripts/zookeeper.sh start|stop|status
# Env: ZOOKEEPER_PORT (default 12181), ZOOKEEPER_DIR.
set -euo pipefail
. "$(dirname "$0")/lib/stop-process.sh"
. "$(dirname "$0")/lib/apt-install.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
port=${ZOOKEEPER_PORT:-12181}
dir=${ZOOKEEPER_DIR:-$root/.local/zookeeper}
pidfile=$dir/server.pid
jar=/usr/share/java/zookeeper.jar

install_if_missing() {
  [ -f "$jar" ] && return 0
  echo "zookeeper.sh: installing Debian's zookeeper" >&2
  apt_install zookeeper
}

# serving, not merely running: ruok answers imok before ZooKeeper takes sessions, and ClickHouse 18.16 refused then
# keeps no session, and crashes on its first ON CLUSTER DDL
answering() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf srvr >&3 && timeout 2 cat <&3) 2>/dev/null | grep -q '^Mode: standalone'
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  if answering; then echo "ZooKeeper already answering on 127.0.0.1:$port"; return 0; fi
  install_if_missing
  mkdir -p "$dir/data"
  # the admin web server is off (it would take port 8080); srvr is the readiness probe
  printf '%s\n' "clientPort=$port" "clientPortAddress=127.0.0.1" "dataDir=$dir/data" "tickTime=500" \
    "admin.enableServer=false" "4lw.commands.whitelist=srvr" > "$dir/zoo.cfg"
  nohup java -Xmx256m -cp "$jar" org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg" \
    > "$dir/server.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  for _ in $(seq 1 300); do
    if answering; then echo "ZooKeeper ready on 127.0.0.1:$port (data in $dir)"; return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "zookeeper.sh: ZooKeeper did not answer (gave up after 30 s, or it exited); see $dir/server.log" >&2
  tail -n 20 "$dir/server.log" >&2 || true
  return 1
}

stop() {
  if running; then
    stop_process "$pidfile" 10
    echo "ZooKeeper stopped"
  else
    echo "ZooKeeper not running (no live pid in $pidfile)"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answering; then echo "up on 127.0.0.1:$port"; else echo "down"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
