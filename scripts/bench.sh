#!/usr/bin/env bash
# `npm run bench`: installs what is missing, builds, runs the benchmarks (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node packages/cli/dist/bench/main.js
