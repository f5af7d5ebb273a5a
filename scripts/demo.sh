#!/usr/bin/env bash
# `npm run demo`: installs what is missing, builds, then runs `clovisor demo` (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node bin/clovisor.js demo "$@"
