#!/usr/bin/env bash
# Re-records the Kafka fixtures (needs root, dumpcap, node, java 17 and the real broker on
# 127.0.0.1:9092: `node bin/clovisor.js stack up`). Output: ../kafka-*.pcap. Run from anywhere.
# KAFKA_LIBS: the broker's jars (kafka-clients-3.9.1.jar is used by the Java client).
# Arguments: which fixtures to record (kafkajs, java); default both.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.."
libs="${KAFKA_LIBS:-$HOME/.cache/clovisor/kafka-3.9.1/libs}"
run="$(date +%s)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# capture NAME -- command...: pcap (linktype 1 on lo), full snaplen, broker port only.
capture() {
  local name="$1"; shift 2
  dumpcap -q -i lo -s 65535 -P -f "tcp port 9092" -w "$out/$name" 2>"$tmp/cap.err" &
  local cp=$!
  for _ in $(seq 50); do grep -q Capturing "$tmp/cap.err" && break; sleep 0.1; done
  sleep 0.3
  "$@"
  sleep 0.5
  kill -INT "$cp"; wait "$cp" || true
  echo "recorded $name ($(stat -c %s "$out/$name") bytes)"
}

[ $# -gt 0 ] || set -- kafkajs java
for what in "$@"; do
  case "$what" in
    kafkajs) capture kafka-kafkajs.pcap -- node "$here/kafkajs-client.mjs" "$run" ;;
    java) capture kafka-java.pcap -- java -cp "$libs/*" "$here/JavaClient.java" "decoder-fixture-java-$run" ;;
    *) echo "unknown fixture $what" >&2; exit 2 ;;
  esac
done
