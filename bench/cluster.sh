#!/usr/bin/env bash
# Herald on a local Redis Cluster of one master and of three (no replicas), loaded with `herald bench`; per shard,
# Redis' own cost of each publish (`INFO commandstats`, process CPU from /proc) and Herald's, so that the figures
# carry over to other machines (docs/scaling.md, docs/benchmarks.md "Redis Cluster: one shard and three").
#
#   bench/cluster.sh                         # 1 shard, then 3: every point; results in bench-results/cluster-<UTC time>/
#   SHARDS=3 POINTS="single batch100" bench/cluster.sh
#   ROUNDS=2 bench/cluster.sh                # 1, 3, 1, 3: the machine's noise shows between rounds
#   python3 bench/cluster_point.py report bench-results/cluster-<time>    # the table again
#
# Two Herald nodes run on the cluster, as in production: publishers reach one ("publish"), subscribers the
# other ("edge", `herald bench --publish-url`), so the edge's CPU is delivery alone.
# Points (POINTS): single (1,000 topics, 32 closed-loop publisher connections, one event per request), batch100
# (the same, 100 events of one topic per request, 8 connections), hot / hotbatch (one topic: the bench pins a
# topic to one connection, one request in flight: the round trip decides), fan1k (1 topic × 1,000 subscribers,
# 200 events/s), topics10k (10,000 topics × 1 subscriber, 5,000 events/s over 32 connections).
# Then, on the 1-shard cluster only, the Redis-side measures of bench/cluster_redis.py (REDIS_MEASURES):
# ceiling (one topic's publish script driven by redis-benchmark: the shard's per-topic ceiling), memory (a
# topic's keys with 0–10,000 events, a sharded channel subscribed by 1 and 2 connections), fanout (Redis CPU
# per SPUBLISH with 0–16 subscribed connections).
# Environment: SHARDS ("1 3"), ROUNDS (1), DURATION (8 s of publishing), TOPICS_RATE (5000, of topics10k), OUT, SERVER_BIN (the herald that
# serves and loads; default .build/release/herald, nothing is built), REDIS_MEASURES ("ceiling memory fanout").
# Everything listens on 127.0.0.1; every process is started here and stopped by its PID on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
HERE=$ROOT/bench
SHARDS=${SHARDS:-"1 3"}
ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-8}
POINTS=${POINTS:-"single batch100 hot hotbatch fan1k topics10k"}
TOPICS_RATE=${TOPICS_RATE:-5000}
REDIS_MEASURES=${REDIS_MEASURES-"ceiling memory fanout"}
OUT=${OUT:-$ROOT/bench-results/cluster-$(date -u +%Y%m%dT%H%M%SZ)}
BIN=${SERVER_BIN:-$ROOT/.build/release/herald}
case ${1:-} in -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

# shellcheck source=bench/lib.sh
. bench/lib.sh  # the working directory is the repository root (above)

[ -x "$BIN" ] || die "no herald at $BIN: swift build -c release --product herald (or SERVER_BIN=...)"
# why: 10,000 subscribers need as many fds in the load generator and in the server.
ulimit -n 20000 || die "cannot raise the open-file limit to 20000 (hard limit: $(ulimit -Hn))"

WORK=$(mktemp -d /tmp/herald-cluster.XXXXXX)
REDIS_PIDS=() REDIS_PORTS=() REDIS_BUS_PORTS=() HERALD_PIDS=()


stop_all() {
    local pid
    for pid in "${HERALD_PIDS[@]}"; do stop_pid "$pid"; done
    for pid in "${REDIS_PIDS[@]}"; do stop_pid "$pid"; done
    HERALD_PIDS=()
    REDIS_PIDS=() REDIS_PORTS=() REDIS_BUS_PORTS=()
}

cleanup() { stop_all; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM


cli() { redis-cli -h 127.0.0.1 -p "$@"; }

# start_cluster N: N masters, the 16,384 slots split evenly (CLUSTER ADDSLOTSRANGE), joined by CLUSTER MEET.
# why not `redis-cli --cluster create`: it refuses fewer than three masters, and the 1-shard cluster is the
# baseline; the same steps for both keep the two alike.
start_cluster() {
    local n=$1 i port bus dir first last _
    for i in $(seq 0 $((n - 1))); do
        port=$(free_port) bus=$(free_port) dir=$WORK/redis-$n-$i
        mkdir -p "$dir"
        # why: the bus port is chosen free too: the default (port + 10000) may be taken, or past 65535. A node
        # learns its own address from the first MEET it receives; a lone master receives none and would show no
        # address in CLUSTER SHARDS, hence --cluster-announce-ip.
        redis-server --bind 127.0.0.1 --port "$port" --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" \
            --cluster-port "$bus" --cluster-announce-ip 127.0.0.1 --save "" --appendonly no --daemonize no --dir "$dir" --maxclients 10000 \
            >"$dir/redis.log" 2>&1 &
        REDIS_PIDS+=($!) REDIS_PORTS+=("$port") REDIS_BUS_PORTS+=("$bus")
    done
    for port in "${REDIS_PORTS[@]}"; do
        for _ in $(seq 100); do [ "$(cli "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
        [ "$(cli "$port" ping 2>/dev/null)" = PONG ] || die "redis-server on $port did not answer PING within 10 s"
    done
    for i in $(seq 0 $((n - 1))); do
        first=$((16384 * i / n)) last=$((16384 * (i + 1) / n - 1))
        cli "${REDIS_PORTS[$i]}" cluster addslotsrange "$first" "$last" >/dev/null
        # why: the bus port is given: MEET assumes port + 10000 otherwise.
        [ "$i" = 0 ] || cli "${REDIS_PORTS[$i]}" cluster meet 127.0.0.1 "${REDIS_PORTS[0]}" "${REDIS_BUS_PORTS[0]}" >/dev/null
    done
    # why: the gossip takes a second or two to agree; 30 s polled every 0.2 s is a bound, not a wait.
    for _ in $(seq 150); do
        local ok=1
        for port in "${REDIS_PORTS[@]}"; do
            cli "$port" cluster info | tr -d '\r' | grep -qx "cluster_state:ok" || ok=0
            [ "$(cli "$port" cluster info | tr -d '\r' | awk -F: '/^cluster_known_nodes:/ { print $2 }')" = "$n" ] || ok=0
        done
        [ "$ok" = 1 ] && return 0
        sleep 0.2
    done
    die "the $n-master cluster did not reach cluster_state:ok within 30 s"
}

# start_node NAME LOG: one herald node on the cluster; sets NODE_PID and NODE_URL.
start_node() {
    local port seeds _
    port=$(free_port)
    seeds=$(printf '127.0.0.1:%s,' "${REDIS_PORTS[@]}"); seeds=${seeds%,}
    # why: --drain-grace 0s and --drain-window 1s: a benchmark node has no load balancer to leave.
    "$BIN" serve --host 127.0.0.1 --port "$port" --redis-cluster "$seeds" --log-level warning \
        --drain-grace 0s --drain-window 1s ${HERALD_SERVE_ARGS:-} >"$OUT/$2.server.log" 2>&1 &
    NODE_PID=$! NODE_URL=http://127.0.0.1:$port
    HERALD_PIDS+=("$NODE_PID")
    for _ in $(seq 100); do
        curl -fsS "$NODE_URL/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$NODE_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$OUT/$2.server.log" >&2
    die "herald node $1 did not become ready within 10 s"
}

# Two nodes, as in production: publishers reach PUB, subscribers EDGE, so EDGE's CPU is delivery alone.
start_nodes() {
    start_node publish "$1.publish"; PUB_PID=$NODE_PID PUB_URL=$NODE_URL
    start_node edge "$1.edge"; EDGE_PID=$NODE_PID EDGE_URL=$NODE_URL
}

# point NAME publish|fanout BENCH-ARGS...: one `herald bench` run, measured per shard by cluster_point.py.
# publish: the bench publishes to PUB and nobody subscribes; fanout: subscribers on EDGE, publishers on PUB.
point() {
    local name=$1 kind=$2 shards=() target i; shift 2
    for i in "${!REDIS_PORTS[@]}"; do shards+=(--shard "${REDIS_PORTS[$i]}:${REDIS_PIDS[$i]}"); done
    if [ "$kind" = publish ]; then target=(--url "$PUB_URL" --server-pid "$PUB_PID"); else
        target=(--url "$EDGE_URL" --publish-url "$PUB_URL" --server-pid "$EDGE_PID"); fi
    log "$name: $*   (load $(cut -d' ' -f1-3 /proc/loadavg))"
    # why: a fresh topic prefix per point, so that no point meets another's streams or subscriptions.
    timeout -k 5 300 python3 "$HERE/cluster_point.py" run --out "$OUT/$name.json" --node "publish:$PUB_PID" \
        --node "edge:$EDGE_PID" "${shards[@]}" -- "$BIN" bench "${target[@]}" --topic-prefix "${name//./-}" "$@" --json \
        2>"$OUT/$name.log" || { log "$name failed; last lines of $OUT/$name.log:"; tail -3 "$OUT/$name.log" >&2; }
    [ -s "$OUT/$name.json" ] && log "$name: $(python3 "$HERE/cluster_point.py" one "$OUT/$name.json")"
    sleep 1
}

run_points() {
    local tag=$1 p
    for p in $POINTS; do
        case $p in
            single) point "$tag.single" publish --subscribers 0 --topics 1000 --publishers 32 --closed-loop --duration "$DURATION" --settle 0 ;;
            batch100) point "$tag.batch100" publish --subscribers 0 --topics 1000 --publishers 8 --closed-loop --batch 100 --duration "$DURATION" --settle 0 ;;
            hot) point "$tag.hot" publish --subscribers 0 --topics 1 --publishers 1 --closed-loop --duration "$DURATION" --settle 0 ;;
            hotbatch) point "$tag.hotbatch" publish --subscribers 0 --topics 1 --publishers 1 --closed-loop --batch 100 --duration "$DURATION" --settle 0 ;;
            fan1k) point "$tag.fan1k" fanout --subscribers 1000 --topics 1 --rate 200 --publishers 1 --duration "$DURATION" --settle 2 ;;
            topics10k) point "$tag.topics10k" fanout --subscribers 10000 --topics 10000 --rate "$TOPICS_RATE" --publishers 32 --duration "$DURATION" --settle 2 ;;
            *) die "unknown point $p (known: single batch100 hot hotbatch fan1k topics10k)" ;;
        esac
    done
}

mkdir -p "$OUT"
{
    echo "date: $(date -u +%FT%TZ)"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' (with local changes)')"
    echo "host: $(uname -srm), $(nproc) cores, $(free -m | awk '/^Mem:/ { print $2 }') MiB"
    echo "load before: $(cat /proc/loadavg)"
    echo "redis: $(redis-server --version)"
    echo "herald: $BIN"
    echo "settings: SHARDS=\"$SHARDS\" ROUNDS=$ROUNDS DURATION=$DURATION POINTS=\"$POINTS\" TOPICS_RATE=$TOPICS_RATE REDIS_MEASURES=\"$REDIS_MEASURES\""
} >"$OUT/machine.txt"
log "results in $OUT"

for round in $(seq 1 "$ROUNDS"); do
    for n in $SHARDS; do
        tag=r$round.s$n
        start_cluster "$n"
        start_nodes "$tag"
        log "$tag: $n master(s) on ${REDIS_PORTS[*]}; herald nodes: publish $PUB_URL (pid $PUB_PID), edge $EDGE_URL (pid $EDGE_PID)"
        run_points "$tag"
        stop_all
    done
done

if [ -n "$REDIS_MEASURES" ]; then
    start_cluster 1
    start_node publish redis-measures
    # shellcheck disable=SC2086
    python3 "$HERE/cluster_redis.py" --port "${REDIS_PORTS[0]}" --pid "${REDIS_PIDS[0]}" --herald "$NODE_URL" \
        --out "$OUT/redis.json" $REDIS_MEASURES >&2 || log "cluster_redis.py failed"
    stop_all
fi

python3 "$HERE/cluster_point.py" report "$OUT" | tee "$OUT/summary.md"
log "done; results in $OUT"
