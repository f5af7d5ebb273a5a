#!/usr/bin/env bash
# Re-records the PostgreSQL fixtures (../postgres-*.pcap) from a real, private PostgreSQL 15
# server on loopback and real clients (psql, node-postgres). Needs root, dumpcap,
# `apt-get install -y postgresql`, and `npm install` at the repo root (pg devDependency).
# The cluster lives in a temp dir on port 5499 and is stopped and deleted afterwards.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.."
PORT=5499
BIN=/usr/lib/postgresql/15/bin
tmp="$(mktemp -d)"
chown postgres "$tmp"
cleanup() {
  su postgres -c "$BIN/pg_ctl -D $tmp/data -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# TCP connections authenticate with SCRAM-SHA-256 (a real SASL exchange); the socket is trusted.
su postgres -c "$BIN/initdb -D $tmp/data --auth-local=trust --auth-host=scram-sha-256 -U postgres" >/dev/null
# A throwaway self-signed certificate; ssl is switched on only for the last capture.
openssl req -x509 -nodes -newkey rsa:2048 -days 1 -subj /CN=localhost -keyout "$tmp/data/server.key" -out "$tmp/data/server.crt" 2>/dev/null
chown postgres "$tmp/data/server.key" "$tmp/data/server.crt"; chmod 600 "$tmp/data/server.key"
su postgres -c "$BIN/pg_ctl -D $tmp/data -l $tmp/log -w -o '-p $PORT -k $tmp -c listen_addresses=127.0.0.1' start" >/dev/null
su postgres -c "$BIN/psql -X -h $tmp -p $PORT -c \"ALTER USER postgres PASSWORD 'fixture-pw'\"" >/dev/null
export PGPASSWORD=fixture-pw

capture() { # capture NAME -- command...
  local name="$1"; shift 2
  dumpcap -q -i lo -P -f "tcp port $PORT" -w "$out/$name" 2>"$tmp/cap.err" &
  local cp=$!
  for _ in $(seq 50); do grep -q Capturing "$tmp/cap.err" && break; sleep 0.1; done
  sleep 0.3
  "$@" >/dev/null 2>&1 || true
  sleep 0.5
  kill -INT "$cp"; wait "$cp" || true
  chmod 644 "$out/$name"
  echo "recorded $name ($(stat -c %s "$out/$name") bytes)"
}
PSQL=(psql -X -h 127.0.0.1 -p "$PORT" -U postgres -d postgres)

# simple query protocol, one psql connection per -c, no TLS. The first connection asks for TLS
# (SSLRequest, answered 'N' by this server without ssl), the others do not; the last one
# fails authentication (28P01).
capture postgres-psql.pcap -- bash -c "
  PGSSLMODE=prefer ${PSQL[*]} -c 'CREATE TABLE fx_items (id int PRIMARY KEY, name text)';
  export PGSSLMODE=disable;
  ${PSQL[*]} -c \"INSERT INTO fx_items VALUES (1, 'one')\";
  ${PSQL[*]} -c \"INSERT INTO fx_items VALUES (2, 'two'), (3, 'three')\";
  ${PSQL[*]} -c 'SELECT id, name FROM fx_items ORDER BY id';
  ${PSQL[*]} -c 'SELECT * FROM nope';
  ${PSQL[*]} -c \"UPDATE fx_items SET name = 'uno' WHERE id = 1; SELECT count(*) FROM fx_items; DELETE FROM fx_items WHERE id = 3\";
  PGPASSWORD=wrong ${PSQL[*]} -c 'SELECT 1'"
# extended query protocol (node-postgres: parameterised, named statement twice, an error)
export PGSSLMODE=disable
# COPY in and out (psql), then a query cancelled by SIGINT: psql sends a CancelRequest on a
# second connection and the query fails with 57014
capture postgres-copy-cancel.pcap -- bash -c "
  printf '20\\ttwenty\\n21\\ttwenty-one\\n' | ${PSQL[*]} -c 'COPY fx_items FROM STDIN';
  ${PSQL[*]} -c 'COPY fx_items TO STDOUT';
  timeout -s INT 1 ${PSQL[*]} -c 'SELECT pg_sleep(5)'"
capture postgres-node-extended.pcap -- node "$here/pg-client.mjs" "$PORT" extended
# 20000 rows in one extended query: DataRows spanning many segments
capture postgres-large-result.pcap -- node "$here/pg-client.mjs" "$PORT" large
# TLS: SSLRequest answered 'S', then a TLS handshake the decoder must not parse
su postgres -c "$BIN/psql -X -h $tmp -p $PORT -c 'ALTER SYSTEM SET ssl = on' -c 'SELECT pg_reload_conf()'" >/dev/null
sleep 0.5
capture postgres-tls.pcap -- env PGSSLMODE=require "${PSQL[@]}" -c 'SELECT 1'
