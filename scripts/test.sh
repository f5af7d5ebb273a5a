#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, brings up the local stack of real servers
# (Kafka, Redis, Jaeger) and runs every test file with node's test runner. Needs root (eBPF,
# network namespaces). Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
node bin/clovisor.js stack up >&2
mapfile -t files < <(find packages services -path '*/node_modules' -prune -o -path '*/dist/*' -name '*.test.js' -print | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "test: no test files found under packages/*/dist or services/*/dist" >&2
  exit 1
fi
echo "test: ${#files[@]} test files" >&2
# One file at a time: the eBPF tests share the kernel's tc hooks and the stack's topics.
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
