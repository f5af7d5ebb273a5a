#!/usr/bin/env bash
# Re-records the HTTP/2 and gRPC fixtures on loopback (root, dumpcap, curl, go (builds h2c-server/
# from the local module cache: golang.org/x/net v0.47.0), node with the decoder's devDependencies @grpc/grpc-js and
# @grpc/proto-loader installed). Output: ../h2-*.pcap, ../grpc-*.pcap.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.."
H2_PORT=18090 GRPC_PORT=18091 H2C_PORT=18092
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

node "$here/h2-server.mjs" "$H2_PORT" >/dev/null & pids+=($!)
node "$here/grpc-echo.mjs" server "$GRPC_PORT" >/dev/null & pids+=($!)
(cd "$here/h2c-server" && GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod go build -o "$tmp/h2c-server" .)
"$tmp/h2c-server" "$H2C_PORT" & pids+=($!)
sleep 1.5

# capture NAME PORT -- command...   (pcap, linktype 1 on lo)
capture() {
  local name="$1" port="$2"; shift 3
  dumpcap -q -i lo -s 65535 -P -f "tcp port $port" -w "$out/$name" 2>"$tmp/cap.err" &
  local cp=$!
  for _ in $(seq 50); do grep -q Capturing "$tmp/cap.err" && break; sleep 0.1; done
  sleep 0.3
  "$@" || true
  sleep 0.5
  kill -INT "$cp"; wait "$cp" || true
  echo "recorded $name ($(stat -c %s "$out/$name") bytes)"
}

only="${1:-all}" # all | h2c
[ "$only" = all ] && capture h2-node-prior-knowledge.pcap "$H2_PORT" -- node "$here/h2-client.mjs" "$H2_PORT"
[ "$only" = all ] && capture grpc-echo.pcap "$GRPC_PORT" -- node "$here/grpc-echo.mjs" client "$GRPC_PORT"
# h2c upgrade: the first request is HTTP/1.1 with Upgrade: h2c (answered 101, then HTTP/2 on
# stream 1), the second goes as HTTP/2 stream 3 on the same connection.
capture h2c-upgrade-curl.pcap "$H2C_PORT" -- curl -s -o /dev/null -o /dev/null --http2 \
  "http://127.0.0.1:$H2C_PORT/index.txt" "http://127.0.0.1:$H2C_PORT/big.txt"
