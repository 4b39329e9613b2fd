#!/usr/bin/env bash
# A one-node Kafka broker (KRaft, broker and controller in one JVM) for local runs and tests, from Maven Central's jars
# (scripts/kafka-broker/pom.xml): nothing to install by hand.
#   scripts/kafka.sh start      start it (idempotent) on 127.0.0.1:$KAFKA_PORT (19092), data under $KAFKA_DIR (.local/kafka)
#   scripts/kafka.sh stop       stop it
#   scripts/kafka.sh classpath  print the broker's classpath (resolved once)
set -euo pipefail
. "$(dirname "$0")/lib/stop-process.sh"
cd "$(dirname "$0")/.."
port=${KAFKA_PORT:-19092}
controller_port=${KAFKA_CONTROLLER_PORT:-$((port + 1))}
dir=${KAFKA_DIR:-.local/kafka}
mkdir -p .local "$dir"
dir=$(cd "$dir" && pwd)
cp_file=.local/kafka-broker.classpath

classpath() {
  # two test JVMs may ask at once: one resolves, the other waits for the whole file
  exec 8>"$cp_file.lock"
  flock 8
  if [ ! -s "$cp_file" ] || [ scripts/kafka-broker/pom.xml -nt "$cp_file" ]; then
    mvn -B -ntp -q -f scripts/kafka-broker/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$cp_file" >&2
  fi
  cat "$cp_file"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  if listening "$port"; then
    echo "Kafka already answers on 127.0.0.1:$port"
    return
  fi
  local cp
  cp=$(classpath)
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# one node: a consumer group forms at once instead of waiting for more members
group.initial.rebalance.delay.ms=0
PROPS
  if [ ! -f "$dir/data/meta.properties" ]; then
    java -cp "$cp" kafka.tools.StorageTool format -t "$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
      -c "$dir/server.properties" > "$dir/format.log" 2>&1
  fi
  nohup java -Xmx512m -XX:+UseSerialGC -cp "$cp" kafka.Kafka \
    "$dir/server.properties" > "$dir/stdout.log" 2>&1 &
  echo $! > "$dir/pid"
  for _ in $(seq 1 600); do
    if listening "$port"; then echo "Kafka answers on 127.0.0.1:$port (data in $dir)"; return; fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then echo "Kafka exited; see $dir/stdout.log" >&2; exit 1; fi
    sleep 0.1
  done
  echo "Kafka did not answer on 127.0.0.1:$port within 60 s; see $dir/stdout.log" >&2
  exit 1
}

stop() {
  if [ -f "$dir/pid" ]; then
    stop_process "$dir/pid" 15
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  classpath) classpath ;;
  *) echo "usage: $0 start|stop|classpath" >&2; exit 2 ;;
esac
