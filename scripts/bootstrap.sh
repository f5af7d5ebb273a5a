#!/usr/bin/env bash
# Installs what is missing, idempotently: Debian packages, npm packages, then builds.
# Shared by `npm test`, `npm run demo` and `npm run bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh >&2
if [ ! -d node_modules/kafkajs ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing npm packages" >&2
  # --ignore-scripts: our own build runs right below, explicitly.
  npm install --no-audit --no-fund --ignore-scripts >&2
fi
bash scripts/build.sh
