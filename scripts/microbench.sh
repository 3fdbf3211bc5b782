#!/usr/bin/env bash
# Runs the micro benchmarks in Benchmarks/ (a separate package, so the main build never sees the benchmark
# plugin or its malloc interposer): SSE encoding, cursor coding, fan-out of one event to 1,000 sessions.
# Builds in release mode; the first run also builds the plugin's BenchmarkTool (a few minutes on 2 cores).
# Usage: scripts/microbench.sh [benchmark plugin arguments]
#   scripts/microbench.sh                                   # every benchmark, about 50 s of measuring
#   scripts/microbench.sh --filter "Cursor.*"               # a subset
#   scripts/microbench.sh run --allocation-stacks --filter "FanOut.*"   # where each allocation comes from
# Figures and how to read them: docs/benchmarks.md, "Micro benchmarks".
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
echo "microbench: swift package benchmark $*"
exec swift package benchmark "$@"
