#!/usr/bin/env bash
# Brings up one Herald node on a local Redis: installs what is missing, starts redis-server on
# 127.0.0.1:6379 unless one already answers there, builds a release binary and runs `herald serve`.
# Extra arguments go to `herald serve` (see `herald serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --serve
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no >/dev/null
  echo "started redis-server on 127.0.0.1:6379"
fi
swift build -c release --product herald
exec .build/release/herald serve --redis-url "${HERALD_REDIS_URL:-redis://127.0.0.1:6379}" "$@"
