#!/usr/bin/env bash
# Moved: the benchmark harness is bench/run.sh, which runs Herald and nchan side by side (bench/README.md).
# The old scenarios map onto it: a → fan1k, b → topics10k, b-heal → heal, c → memory (one shared topic now).
#   scripts/bench.sh                   # = bench/run.sh
#   SCENARIOS=fan1k scripts/bench.sh   # = SCENARIOS=fan1k bench/run.sh
exec "$(dirname "$0")/../bench/run.sh" "$@"
