#!/usr/bin/env bash
# Runs Herald's benchmark scenarios against a release build, each on a freshly started node, and
# writes raw JSON into bench-results/<UTC time>/ plus a summary table (summary.md).
#
#   scripts/bench.sh                  # all scenarios: a a-50 b c a-memory
#   SCENARIOS="a c" scripts/bench.sh  # a subset
#
# Everything listens on 127.0.0.1 only; redis-server and herald are started on free ports and stopped
# by PID on exit. Scenarios (see docs/benchmarks.md):
#   a         1,000 subscribers on one topic, 100 events/s for 20 s (redis backend)
#   a-50      as a at 50 events/s (nchan's "moderate load" point)
#   b         10,000 subscribers on 10,000 topics, 2,000 events/s for 20 s, 8 publisher connections (redis)
#   b-heal    as b, with the node's pub/sub connection killed (CLIENT KILL TYPE pubsub) once 10,000
#             events were published: the heal must leave no gap; latency max shows how long it took
#   c         10,000 idle subscribers on 10,000 topics: RSS per connection (redis)
#   a-memory  scenario a on the in-memory backend, for reference
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SCENARIOS=${SCENARIOS:-"a a-50 b c a-memory"}
OUT=${OUT:-$ROOT/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
# why: 10,000 streams need 10,000 fds in the bench process and as many in the server (hard limit 20000 here).
ulimit -n 20000

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/herald-bench.XXXXXX)
REDIS_PID=""
HERALD_PID=""

log() { printf 'bench.sh: %s\n' "$*" >&2; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    # why: herald drains streams over --drain-window (set to 1s below); 15 s is far past that.
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    log "pid $pid did not stop on SIGTERM within 15 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_all() {
    stop_pid "$HERALD_PID"; HERALD_PID=""
    stop_pid "$REDIS_PID"; REDIS_PID=""
}

cleanup() {
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_redis() {
    local port; port=$(free_port)
    mkdir -p "$WORK/redis"
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize no \
        --dir "$WORK/redis" --maxclients 10000 >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 100); do
        [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && { REDIS_PORT=$port; REDIS_URL="redis://127.0.0.1:$port"; return 0; }
        sleep 0.1
    done
    log "redis-server did not answer PING; see $WORK/redis.log"; cat "$WORK/redis.log" >&2; exit 1
}

start_herald() {
    local backend=$1 name=$2
    HERALD_PORT=$(free_port)
    local args=(serve --host 127.0.0.1 --port "$HERALD_PORT" --log-level "${SERVER_LOG_LEVEL:-warning}" --drain-window 1s)
    [ "$backend" = redis ] && args+=(--redis-url "$REDIS_URL")
    "$BIN" "${args[@]}" >"$OUT/$name.server.log" 2>&1 &
    HERALD_PID=$!
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$HERALD_PORT/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    log "herald did not become ready; see $OUT/$name.server.log"; exit 1
}

# Kills the node's pub/sub connection once $1 events were published (SPUBLISH calls, counted inside scripts too).
kill_pubsub_after() {
    local calls=$1
    while sleep 0.1; do
        local seen
        seen=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info commandstats 2>/dev/null | tr -d '\r' | awk -F'[=,]' '/^cmdstat_spublish:/ { print $2 }')
        if [ "${seen:-0}" -ge "$calls" ]; then
            log "killing the pub/sub connection after ${seen} publishes: $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" client kill type pubsub) killed"
            return 0
        fi
    done
}

redis_used_memory() {
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info memory | tr -d '\r' | awk -F: '/^used_memory:/ { print $2 }'
}

run_scenario() {
    local name=$1 backend=$2; shift 2
    log "scenario $name ($backend): $*"
    log "load before: $(cat /proc/loadavg)"
    [ "$backend" = redis ] && start_redis
    start_herald "$backend" "$name"
    local pids=(--server-pid "$HERALD_PID")
    [ "$backend" = redis ] && pids+=(--redis-pid "$REDIS_PID")
    local sampler="" before="" fault=""
    if [ -n "${FAULT_AFTER_PUBLISHES:-}" ]; then
        kill_pubsub_after "$FAULT_AFTER_PUBLISHES" &
        fault=$!
    fi
    if [ "$backend" = redis ]; then
        # why: redis memory per subscribed channel is part of a subscriber's cost; sample it once a second.
        before=$(redis_used_memory)
        ( while sleep 1; do redis_used_memory; done ) >"$WORK/redis-memory" &
        sampler=$!
    fi
    "$BIN" bench --url "http://127.0.0.1:$HERALD_PORT" "${pids[@]}" "$@" --json \
        >"$OUT/$name.json" 2>"$OUT/$name.log" || log "bench $name failed; see $OUT/$name.log"
    if [ -n "$fault" ]; then
        kill "$fault" 2>/dev/null || true
        wait "$fault" 2>/dev/null || true
    fi
    if [ -n "$sampler" ]; then
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        local peak; peak=$(sort -n "$WORK/redis-memory" | tail -1)
        printf '{"usedMemoryBefore": %s, "usedMemoryPeak": %s}\n' "$before" "${peak:-null}" >"$OUT/$name.redis-memory"
    fi
    stop_all
    # why: let closed sockets and the last TIME_WAITs settle so the next scenario starts on a quiet host.
    sleep 2
}

log "building release"
swift build -c release --product herald >&2
BIN=$(swift build -c release --show-bin-path)/herald
{ uname -srm; nproc; free -m | sed -n 2p; swift --version 2>&1 | head -1; redis-server --version; } >"$OUT/machine.txt"

for scenario in $SCENARIOS; do
    case $scenario in
        a) run_scenario a redis --subscribers 1000 --topics 1 --rate 100 --duration 20 --publishers 1 ;;
        a-50) run_scenario a-50 redis --subscribers 1000 --topics 1 --rate 50 --duration 20 --publishers 1 ;;
        b) run_scenario b redis --subscribers 10000 --topics 10000 --rate 2000 --duration 20 --publishers 8 ;;
        b-heal) FAULT_AFTER_PUBLISHES=10000 SERVER_LOG_LEVEL=info run_scenario b-heal redis --subscribers 10000 --topics 10000 --rate 2000 --duration 20 --publishers 8 ;;
        c) run_scenario c redis --subscribers 10000 --topics 10000 --rate 0 --duration 0 ;;
        a-memory) run_scenario a-memory memory --subscribers 1000 --topics 1 --rate 100 --duration 20 --publishers 1 ;;
        *) log "unknown scenario $scenario (known: a a-50 b b-heal c a-memory)"; exit 2 ;;
    esac
done

"$ROOT/scripts/bench-summary.sh" "$OUT" | tee "$OUT/summary.md"
log "results in $OUT"
