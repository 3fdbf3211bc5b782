#!/usr/bin/env bash
# The CPU cost of one single-event POST /publish, measured against a minimal SwiftNIO HTTP/1.1 server answering
# a constant (bench/reference-http), under the same closed-loop wrk load, back to back, in rounds.
#
#   bench/publish-cost.sh                      # memory broker: reference vs herald, 3 rounds of 5 s, 32 connections
#   BASE_BIN=/tmp/herald-old bench/publish-cost.sh        # also an older herald binary, in the same rounds
#   REDIS=1 bench/publish-cost.sh              # through Redis: herald's and redis-server's CPU per publish, evalsha/fcall µs
#
# Settings (environment): ROUNDS (3), DURATION (5, seconds of wrk per measurement), CONNECTIONS (32),
# HERALD_BIN (.build/release/herald), BASE_BIN (none), REFERENCE_BIN (bench/reference-http/.build/release/reference-http).
# CPU is utime + stime of the server process (all threads) from /proc over the measured window, divided by the
# requests wrk completed in it. Needs wrk (apt-get install wrk) and, with REDIS=1, redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-32}
HERALD_BIN=${HERALD_BIN:-.build/release/herald}
REFERENCE_BIN=${REFERENCE_BIN:-bench/reference-http/.build/release/reference-http}
TICK=$(getconf CLK_TCK)
command -v wrk >/dev/null || die "wrk is missing: apt-get install wrk"
[ -x "$HERALD_BIN" ] || die "no herald binary at $HERALD_BIN: swift build -c release --product herald"
if [ -z "${REDIS:-}" ] && [ ! -x "$REFERENCE_BIN" ]; then
    die "no reference server at $REFERENCE_BIN: (cd bench/reference-http && swift build -c release)"
fi

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do stop_pid "$pid"; done; }
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

wait_ready() {  # wait_ready URL PID
    for _ in $(seq 100); do
        curl -fsS -o /dev/null -X POST -H 'content-type: application/json' \
            -d '{"topic":"bench/ready","data":"x"}' "$1/publish" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    die "the server at $1 did not answer within 10 s"
}

REDIS_PORT=
if [ -n "${REDIS:-}" ]; then
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --logfile /dev/null &
    REDIS_PID=$!
    PIDS+=("$REDIS_PID")
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# start NAME BINARY: starts a server, sets URL and PID.
start() {
    local port; port=$(free_port)
    case $1 in
    reference) "$2" "$port" >/dev/null 2>&1 & ;;
    *)
        local backend=()
        [ -n "$REDIS_PORT" ] && backend=(--redis-url "redis://127.0.0.1:$REDIS_PORT")
        "$2" serve --host 127.0.0.1 --port "$port" "${backend[@]}" --log-level warning \
            --drain-grace 0s --drain-window 1s >/dev/null 2>&1 & ;;
    esac
    PID=$!
    PIDS+=("$PID")
    URL=http://127.0.0.1:$port
    wait_ready "$URL" "$PID"
}

# measure NAME: one wrk run against URL/PID, prints "NAME requests/s cpu-µs-per-request [redis-µs evalsha-µs]".
measure() {
    wrk -t1 -c "$CONNECTIONS" -d 1s -s bench/publish-cost.lua "$URL" >/dev/null  # warm-up
    [ -n "$REDIS_PORT" ] && redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
    local c0 r0 c1 r1 out requests
    c0=$(cpu_ticks "$PID"); r0=${REDIS_PID:+$(cpu_ticks "$REDIS_PID")}
    out=$(wrk -t1 -c "$CONNECTIONS" -d "${DURATION}s" -s bench/publish-cost.lua "$URL")
    c1=$(cpu_ticks "$PID"); r1=${REDIS_PID:+$(cpu_ticks "$REDIS_PID")}
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    if grep -q "Non-2xx" <<<"$out"; then die "$1: $(grep Non-2xx <<<"$out")"; fi
    local line
    line=$(awk -v n="$1" -v q="$requests" -v d="$DURATION" -v c=$((c1 - c0)) -v t="$TICK" \
        'BEGIN { printf "%-10s %9.0f %8.1f", n, q / d, c * 1e6 / t / q }')
    if [ -n "$REDIS_PORT" ]; then
        local script
        script=$(redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' \
            | awk -F'[=,]' '/^cmdstat_(evalsha|fcall):/ {print $6}' | head -1)
        line+=$(awk -v q="$requests" -v c=$((r1 - r0)) -v t="$TICK" -v s="${script:-0}" \
            'BEGIN { printf " %8.1f %8.2f", c * 1e6 / t / q, s }')
    fi
    echo "$line"
}

TARGETS=()
[ -z "$REDIS_PORT" ] && TARGETS+=("reference:$REFERENCE_BIN")
TARGETS+=("herald:$HERALD_BIN")
[ -n "${BASE_BIN:-}" ] && TARGETS+=("base:$BASE_BIN")

log "load $(uptime | sed 's/.*load average: //'); $ROUNDS rounds of ${DURATION}s, $CONNECTIONS connections, wrk -t1"
if [ -n "$REDIS_PORT" ]; then
    printf '%-10s %9s %8s %8s %8s\n' server 'req/s' 'cpu µs' 'redis µs' 'script µs'
else
    printf '%-10s %9s %8s\n' server 'req/s' 'cpu µs'
fi
for round in $(seq "$ROUNDS"); do
    for target in "${TARGETS[@]}"; do
        start "${target%%:*}" "${target#*:}"
        measure "${target%%:*}"
        stop_pid "$PID"
        PIDS=("${PIDS[@]/$PID}")
    done
    log "round $round done; load $(uptime | sed 's/.*load average: //')"
done
