# Sourced by the scripts that run a local server in the background (clickhouse.sh, zookeeper.sh, kafka.sh).
# stop_process <pid file> <seconds>: TERM the process the file names, KILL it if it has not exited within <seconds>,
# and remove the file.
stop_process() {
  local pidfile=$1 seconds=$2 pid
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((seconds * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}
