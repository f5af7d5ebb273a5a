#!/usr/bin/env bash
# Re-records the pcap fixtures from real clients and servers on loopback (needs root,
# dumpcap, curl, node, python3). Output: ../*.pcap(ng). Run from anywhere.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.."
NODE_PORT=18080 PY_PORT=18081 PY10_PORT=18082
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

node "$here/node-server.mjs" "$NODE_PORT" >/dev/null & pids+=($!)
(cd "$here" && exec python3 -m http.server "$PY_PORT" --bind 127.0.0.1 >/dev/null 2>&1) & pids+=($!)
python3 "$here/py10-server.py" "$PY10_PORT" & pids+=($!)
sleep 1

# capture NAME FORMAT(-P for pcap or empty for pcapng) IFACE SNAPLEN PORT -- command...
capture() {
  local name="$1" fmt="$2" iface="$3" snap="$4" port="$5"; shift 6
  dumpcap -q -i "$iface" -s "$snap" $fmt -f "tcp port $port" -w "$out/$name" 2>"$tmp/cap.err" &
  local cp=$!
  for _ in $(seq 50); do grep -q Capturing "$tmp/cap.err" && break; sleep 0.1; done
  sleep 0.3
  "$@" >/dev/null 2>&1 || true
  sleep 0.5
  kill -INT "$cp"; wait "$cp" || true
  echo "recorded $name ($(stat -c %s "$out/$name") bytes)"
}
N="http://127.0.0.1:$NODE_PORT"
head -c 2000 /dev/urandom | base64 -w0 > "$tmp/body.txt"

capture python-http-server.pcap -P lo 65535 "$PY_PORT" -- bash -c "curl -s http://127.0.0.1:$PY_PORT/ ; curl -s http://127.0.0.1:$PY_PORT/record.sh; curl -s -I http://127.0.0.1:$PY_PORT/record.sh"
capture python-http10-close.pcap -P lo 65535 "$PY10_PORT" -- curl -s "http://127.0.0.1:$PY10_PORT/x"
capture node-keepalive.pcap -P lo 65535 "$NODE_PORT" -- curl -s "$N/hello" "$N/chunked" "$N/empty" "$N/etag"
capture node-head-304.pcap -P lo 65535 "$NODE_PORT" -- curl -s -I "$N/hello" -: -H 'If-None-Match: "v1"' "$N/etag"
capture node-post-continue.pcap -P lo 65535 "$NODE_PORT" -- curl -s -H "Expect: 100-continue" -d "@$tmp/body.txt" "$N/upload"
capture node-http10-close.pcap -P lo 65535 "$NODE_PORT" -- curl -s --http1.0 "$N/close"
capture node-pipelined.pcap -P lo 65535 "$NODE_PORT" -- python3 "$here/raw-client.py" pipeline "$NODE_PORT"
capture node-upgrade.pcap -P lo 65535 "$NODE_PORT" -- python3 "$here/raw-client.py" upgrade "$NODE_PORT"
capture node-connect.pcap -P lo 65535 "$NODE_PORT" -- curl -s -p -x "$N" "$N/hello"
capture node-trace-headers.pcapng "" lo 65535 "$NODE_PORT" -- curl -s \
  -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' -H 'tracestate: congo=t61rcWkgMzE' \
  -H 'x-request-id: 7f1c2a9e-req-1' -H 'Authorization: Bearer secret-token' -H 'Cookie: sid=s3cr3t' \
  -H 'X-Not-Allowlisted: dropped' "$N/hello"
capture node-big-any.pcapng "" any 65535 "$NODE_PORT" -- curl -s "$N/big"
capture node-big-snaplen.pcap -P lo 256 "$NODE_PORT" -- curl -s "$N/big"
capture node-ipv6.pcap -P lo 65535 "$NODE_PORT" -- curl -s -g "http://[::1]:$NODE_PORT/hello?lang=en"
