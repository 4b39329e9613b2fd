#!/usr/bin/env bash
# Where a JVM's CPU went, from JFR recordings (jdk.ExecutionSample events): self time by method (top 25, or --top N),
# by package, and by the package of the nearest frame outside the JDK; the recordings given are summed. Markdown on
# stdout. For example, after `BENCH_PROFILE=1 scripts/benchmark.sh`:
#   scripts/jfr-top.sh target/benchmark/all-<run>/jfr/webhooks-*.jfr
#   scripts/jfr-top.sh --top 40 recording-a.jfr recording-b.jfr
# Uses the test classes (io.infrasage.pagerduty.bench.JfrTop); compiles them first if they are missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$root/target/test-classes/io/infrasage/pagerduty/bench/JfrTop.class" ]; then
  (cd "$root" && { mvn -o -q -B test-compile || mvn -q -B test-compile; })
fi
exec java -cp "$root/target/test-classes" io.infrasage.pagerduty.bench.JfrTop "$@"
