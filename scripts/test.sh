#!/usr/bin/env bash
# Runs Herald's whole test suite. The integration tests start their own redis-server on free loopback ports.
# Then, unless arguments narrow the run (`scripts/test.sh --filter X`) or FUZZ_SECONDS=0, builds the fuzz
# targets with sanitizers and runs each for FUZZ_SECONDS (default 30): see Fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
if [ $# -eq 0 ] && [ "${FUZZ_SECONDS:-30}" != 0 ]; then
  scripts/fuzz.sh
fi
