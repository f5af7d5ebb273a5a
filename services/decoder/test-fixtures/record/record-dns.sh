#!/usr/bin/env bash
# Re-records the DNS fixtures: a real dnsmasq on 127.0.0.1:5353 queried by real dig over UDP and
# TCP (needs root, dumpcap, dnsmasq, dig: apt-get install -y dnsmasq bind9-dnsutils).
# A second dnsmasq on 127.0.0.2:53 (the DNS port: a loopback address nothing else uses) serves
# glibc's stub resolver (getent, in a private mount namespace whose /etc/resolv.conf points at it:
# the machine's resolver is untouched), which sends A and AAAA from one socket.
# Output: ../dns-udp.pcap, ../dns-tcp.pcap, ../dns-port53.pcap. Run from anywhere.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.."
PORT=5353
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# fail.test is forwarded to a port nobody listens on: its queries get no answer.
dnsmasq --no-daemon --port="$PORT" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --address=/svc.test/10.1.2.3 --address=/v6.svc.test/fd00::1 --address=/nx.test/ \
  --host-record=host.svc.test,10.9.9.9 --cname=alias.svc.test,host.svc.test \
  --txt-record=txt.svc.test,"hello","world" --mx-host=svc.test,mail.svc.test,10 \
  --srv-host=_http._tcp.svc.test,svc.test,8080,1,2 --ptr-record=3.2.1.10.in-addr.arpa,svc.test \
  --server=/fail.test/127.0.0.1#9 >"$tmp/dnsmasq.log" 2>&1 & pids+=($!)
# big.svc.test: three 200-byte strings, more than a 512-byte datagram without EDNS holds.
big="$(printf 'x%.0s' $(seq 200))"
dnsmasq --no-daemon --port=53 --listen-address=127.0.0.2 --bind-interfaces --no-resolv --no-hosts \
  --host-record=both.svc.test,10.1.2.3,fd00::3 --auth-server=ns.svc.test,127.0.0.2 --auth-zone=auth.test \
  --txt-record=big.svc.test,"$big","$big","$big" >"$tmp/dnsmasq53.log" 2>&1 & pids+=($!)
printf 'nameserver 127.0.0.2\noptions timeout:1 attempts:1\n' > "$tmp/resolv.conf"
sleep 0.5

# capture NAME PORT -- command...
capture() {
  local name="$1" port="$2"; shift 3
  dumpcap -q -i lo -s 65535 -P -f "port $port" -w "$out/$name" 2>"$tmp/cap.err" &
  local cp=$!
  for _ in $(seq 50); do grep -q Capturing "$tmp/cap.err" && break; sleep 0.1; done
  sleep 0.3
  "$@" >/dev/null 2>&1 || true
  sleep 0.5
  kill -INT "$cp"; wait "$cp" || true
  echo "recorded $name ($(stat -c %s "$out/$name") bytes)"
}
D="dig @127.0.0.1 -p $PORT +tries=1 +time=1"
capture dns-udp.pcap "$PORT" -- bash -c "$D svc.test A; $D v6.svc.test AAAA; $D alias.svc.test A; $D txt.svc.test TXT; \
  $D nx.test A; $D other.test A; $D svc.test MX; $D _http._tcp.svc.test SRV; $D -x 10.1.2.3; $D x.fail.test A"
capture dns-tcp.pcap "$PORT" -- bash -c "$D +tcp svc.test A; $D +tcp +keepopen alias.svc.test A txt.svc.test TXT nx.test A v6.svc.test AAAA"
D53="dig @127.0.0.2 +tries=1 +time=1"
capture dns-port53.pcap 53 -- bash -c "unshare -m sh -c 'mount --bind $tmp/resolv.conf /etc/resolv.conf && getent ahosts both.svc.test'; \
  $D53 auth.test SOA; $D53 +noedns big.svc.test TXT"
