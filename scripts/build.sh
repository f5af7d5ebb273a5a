#!/usr/bin/env bash
# Builds everything from source: the eBPF object and the libbpf N-API addon (when the toolchain
# is there), then the TypeScript. Idempotent; `npm install` runs it (prepare), and `npm test`,
# `npm run demo` and `npm run bench` call it after installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/kafkajs ]; then
  echo "build: npm packages missing; run npm install" >&2
  exit 1
fi
if command -v clang >/dev/null && [ -f /usr/include/bpf/libbpf.h ]; then
  bash packages/libbpf/build.sh >&2
else
  # Decoder/correlator/exporter run without it; capture says what to install when started.
  echo "build: clang or libbpf-dev missing, skipping the eBPF object and addon (install them with scripts/ensure-system.sh)" >&2
fi
npx --no-install tsc -b >&2
