#!/usr/bin/env bash
# Prints a Markdown table of every `herald bench --json` result in a folder written by scripts/bench.sh.
#   scripts/bench-summary.sh bench-results/20250101T000000Z
set -euo pipefail
dir=${1:?usage: bench-summary.sh RESULTS_DIR}

echo "| scenario | subs ok/failed | topics | target/s | publish/s | publish p50/p99 ms | deliveries/s (steady) | delivered / expected | missing | latency p50/p90/p99/max ms | gaps/dups/ooo | server CPU% | redis CPU% | bench CPU% | irq+softirq% | other% | RSS before/idle/end MiB | B per idle conn | redis used_memory Δ B per sub | server idle CPU% | load before |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for file in "$dir"/*.json; do
    [ -e "$file" ] || continue
    name=$(basename "$file" .json)
    redis_memory="$dir/$name.redis-memory"
    [ -e "$redis_memory" ] || redis_memory=/dev/null
    jq -r --arg name "$name" --slurpfile redis "$redis_memory" '
        def r(n): if . == null then "-" else (. * pow(10; n) | round) / pow(10; n) | tostring end;
        def mib: if . == null then "-" else (. / 1024 * 10 | round) / 10 | tostring end;
        [ $name,
          "\(.connect.connected)/\(.connect.failed)",
          (.settings.topics | tostring),
          (.settings.rate | tostring),
          (.publish.acknowledgedPerSecond | r(1)),
          (if .publish then "\(.publish.latency.p50 | r(2)) / \(.publish.latency.p99 | r(2))" else "-" end),
          (.delivery.steadyPerSecond | r(0)),
          (if .delivery then "\(.delivery.delivered) / \(.delivery.expected)" else "-" end),
          (.delivery.missing | r(0)),
          (if .delivery then [.delivery.latency.p50, .delivery.latency.p90, .delivery.latency.p99, .delivery.latency.max] | map(r(1)) | join(" / ") else "-" end),
          (if .delivery then "\(.delivery.gaps) / \(.delivery.duplicates) / \(.delivery.outOfOrder)" else "-" end),
          (.cpu.serverPercent | r(0)),
          (.cpu.redisPercent | r(0)),
          (.cpu.benchPercent | r(0)),
          (.cpu.hostInterruptsPercent | r(0)),
          (.cpu.otherPercent | r(0)),
          "\(.memory.serverRSSBeforeKiB | mib) / \(.memory.serverRSSIdleKiB | mib) / \(.memory.serverRSSEndKiB | mib)",
          (.memory.rssPerIdleConnectionBytes | r(0)),
          (if ($redis | length) > 0 and $redis[0].usedMemoryPeak != null and .connect.connected > 0
             then (($redis[0].usedMemoryPeak - $redis[0].usedMemoryBefore) / .connect.connected | r(0)) else "-" end),
          (.idleCPU.serverPercent | r(1)),
          (.settings.loadAverageBefore | r(2))
        ] | "| " + join(" | ") + " |"' "$file"
done
