#!/usr/bin/env bash
# Runs Herald's whole test suite. The integration tests start their own redis-server on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
