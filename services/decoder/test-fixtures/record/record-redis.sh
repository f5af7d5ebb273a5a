#!/usr/bin/env bash
# Re-records the Redis fixtures from a real redis-server (its own port, no persistence) and real
# redis-cli / redis-benchmark clients on loopback (needs root, dumpcap, redis-server 7,
# python3). Output: ../redis-*.pcap. Run from anywhere.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.."
PORT=6390
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command yes \
  --dir "$tmp" >/dev/null & pids+=($!)
sleep 0.5
cli() { redis-cli -p "$PORT" "$@"; }

# capture NAME -- command...
capture() {
  local name="$1"; shift 2
  dumpcap -q -i lo -s 65535 -P -f "tcp port $PORT" -w "$out/$name" 2>"$tmp/cap.err" &
  local cp=$!
  for _ in $(seq 50); do grep -q Capturing "$tmp/cap.err" && break; sleep 0.1; done
  sleep 0.3
  "$@" >/dev/null 2>&1 || true
  sleep 0.5
  kill -INT "$cp"; wait "$cp" || true
  echo "recorded $name ($(stat -c %s "$out/$name") bytes)"
}

# One connection, one command at a time (redis-cli reads commands from stdin; it first asks
# COMMAND DOCS: a real 170 KB reply of nested arrays).
cat > "$tmp/basic.txt" <<'CMDS'
SET user:1 alice
GET user:1
GET no:such:key
INCR counter
LPUSH user:1 x
MGET user:1 no:such:key counter
HSET h f1 v1 f2 v2
HGETALL h
CLIENT SETNAME clovisor-test
CONFIG GET maxmemory
AUTH s3cret-passw0rd
CMDS
capture redis-basic.pcap -- bash -c "cli() { redis-cli -p $PORT \"\$@\"; }; cli < '$tmp/basic.txt'"

# RESP3 after HELLO 3 (redis-cli -3): map, set, double, null, boolean, big number, verbatim,
# attribute and push replies (DEBUG PROTOCOL), and an error.
cat > "$tmp/resp3.txt" <<'CMDS'
HGETALL h
SADD s a b
SMEMBERS s
ZADD z 1.5 m
ZSCORE z m
GET no:such:key
DEBUG PROTOCOL double
DEBUG PROTOCOL true
DEBUG PROTOCOL bignum
DEBUG PROTOCOL verbatim
DEBUG PROTOCOL attrib
DEBUG PROTOCOL push
DEBUG PROTOCOL null
LPUSH h x
PING
CMDS
# One redis-cli -3 per command (HELLO 3 then the command): without arguments redis-cli first
# fetches COMMAND DOCS (170 KB), which redis-basic.pcap already carries.
cli HSET h f1 v1 f2 v2 >/dev/null
capture redis-resp3.pcap -- bash -c "while read -r line; do redis-cli -3 -p $PORT \$line; done < '$tmp/resp3.txt'"

# Pipelining: redis-benchmark with 16 commands per round trip on one connection; and
# redis-cli --pipe (all commands written at once, replies read after), with an error inside.
capture redis-pipelined.pcap -- redis-benchmark -p "$PORT" -c 1 -P 16 -n 48 -t set,get -q
printf 'SET p:1 a\r\nINCR p:1\r\nGET p:1\r\nDEL p:1\r\nPING\r\n' > "$tmp/pipe.txt"
capture redis-pipe.pcap -- bash -c "redis-cli -p $PORT --pipe < '$tmp/pipe.txt'"

# A 110 000-byte value: SET from stdin (-x), then GET.
head -c 110000 /dev/zero | tr '\0' 'v' > "$tmp/big.txt"
capture redis-large.pcap -- bash -c "redis-cli -p $PORT -x SET big < '$tmp/big.txt'; redis-cli -p $PORT GET big"

# Inline commands (telnet style) from a raw socket.
capture redis-inline.pcap -- python3 "$here/redis-raw-client.py" inline "$PORT"

# Pub/sub (RESP2, then RESP3 where confirmations and messages are > pushes): a subscriber on two channels, three PUBLISHes from redis-cli, then PING, UNSUBSCRIBE.
capture redis-pubsub.pcap -- bash -c "python3 '$here/redis-raw-client.py' subscribe $PORT & sleep 0.8; \
  redis-cli -p $PORT PUBLISH news hello; redis-cli -p $PORT PUBLISH sports goal; redis-cli -p $PORT PUBLISH news bye; wait"
capture redis-pubsub-resp3.pcap -- bash -c "python3 '$here/redis-raw-client.py' subscribe3 $PORT & sleep 0.8; \
  redis-cli -p $PORT PUBLISH news hello; redis-cli -p $PORT PUBLISH sports goal; redis-cli -p $PORT PUBLISH news bye; wait"
