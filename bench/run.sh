#!/usr/bin/env bash
# Herald against nchan on the same scenarios with the same load generator (`herald bench`), each run on a
# freshly started server and redis; raw results in bench-results/<UTC time>/, then the side-by-side table
# (summary.md, bench/report.py) and the plots (*.png, bench/plot.py). About twelve minutes in all.
#
#   bench/run.sh                               # build, install what is missing, every scenario, both servers
#   SCENARIOS="fan1k memory" bench/run.sh      # a subset
#   QUICK=1 bench/run.sh                       # a smoke run of 1–2 minutes: small sizes, 2 s of publishing
#   bench/run.sh --publish-plots               # also copy the plots to docs/img/
#
# Scenarios (bench/README.md says what each measures): fan1k fan10k topics10k memory publish slow storm tokens,
# and, not in the default set, heal (redis pub/sub connections killed mid-run), capacity (herald only:
# clients keep arriving past the limit of a node started under `prlimit --nofile=1024`; its CPU meanwhile),
# soak (herald only: hundreds of thousands of one-off topics churned through one node per backend, RSS sampled
# every round) and transports (herald only: fan1k with the subscribers over HTTP/1.1, TLS, h2c and h2;
# TRANSPORTS picks some, H2_STREAMS the streams per HTTP/2 connection, 100).
# Environment: SERVERS ("herald nchan"), DURATION (8, seconds of publishing), OUT (the results folder),
# BENCH_BIN (the load generator, default: the herald just built), BENCH_TIMEOUT (240 s per run),
# SERVER_BIN (the herald that serves, default: the one just built; e.g. another commit's, for a before/after;
# nothing is built when it is set), SOAK_ROUNDS (24), SOAK_TOPICS (5000 per round), SOAK_BACKENDS ("memory redis"),
# TOKENS_GENERATIONS, TOKENS_GENERATIONS_3 (the N of tokens with 1 and 3 subscribers each) and TOKENS_ALWAYS (N run past a break).
# Everything listens on 127.0.0.1; every process is started here and stopped by its PID on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
HERE=$ROOT/bench
SCENARIOS=${SCENARIOS:-"fan1k fan10k topics10k memory publish slow storm tokens"}
SERVERS=${SERVERS:-"herald nchan"}
QUICK=${QUICK:-0}
OUT=${OUT:-$ROOT/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
# why: a run that hangs (a stuck connect, a server that never drains) must not stall the whole series.
BENCH_TIMEOUT=${BENCH_TIMEOUT:-240}
PUBLISH_PLOTS=false
for arg in "$@"; do
    case $arg in
        --publish-plots) PUBLISH_PLOTS=true ;;
        -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done
# why: a quick run waits at most 1 s for late deliveries (and for stalled streams to show they were cut), and
# not between runs; its figures are for checking the harness, not for reading.
if [ "$QUICK" = 1 ]; then
    DURATION=${DURATION:-2}; SETTLE=1; COMMON=(--drain 1); PAUSE=0
else
    DURATION=${DURATION:-8}; SETTLE=2; COMMON=(); PAUSE=1
fi

# shellcheck source=bench/lib.sh
. bench/lib.sh  # the working directory is the repository root (above)

# why: 18,000 idle streams need as many fds in the load generator and in the server; 20000 is the hard limit here.
ulimit -n 20000 || die "cannot raise the open-file limit to 20000 (hard limit: $(ulimit -Hn))"

WORK=$(mktemp -d /tmp/herald-bench.XXXXXX)
REDIS_PID="" SERVER_KIND="" SERVER_PID="" NCHAN_PREFIX="" SAMPLER_PID="" BENCH_PID="" FAULT_PID=""


stop_run() {
    stop_pid "$BENCH_PID"; BENCH_PID=""
    stop_pid "$FAULT_PID"; FAULT_PID=""
    stop_pid "$SAMPLER_PID"; SAMPLER_PID=""
    case $SERVER_KIND in
        herald) stop_pid "$SERVER_PID" ;;
        nchan) "$HERE/nchan/stop.sh" "$NCHAN_PREFIX" ;;
    esac
    SERVER_KIND="" SERVER_PID=""
    stop_pid "$REDIS_PID"; REDIS_PID=""
}

cleanup() {
    stop_run
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


start_redis() {
    local port _; port=$(free_port)
    mkdir -p "$WORK/redis"
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize no \
        --dir "$WORK/redis" --maxclients 10000 >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    # why: redis answers PING within milliseconds; 10 s polled every 0.1 s is a bound, not a wait.
    for _ in $(seq 100); do
        [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && { REDIS_PORT=$port; return 0; }
        sleep 0.1
    done
    cat "$WORK/redis.log" >&2
    die "redis-server did not answer PING within 10 s"
}

# The subscribers' transport of the transports scenario ($TRANSPORT: http1, tls, h2c or h2): what the node
# serves it with, and how `herald bench` speaks it. Unset elsewhere: plaintext HTTP/1.1 on the one port.
transport_serve_args() {
    case ${TRANSPORT:-} in
        "" | http1) ;;
        h2c) echo --h2c on ;;
        tls | h2) echo --tls-cert "$WORK/tls/cert.pem" --tls-key "$WORK/tls/key.pem" ;;
        *) die "unknown TRANSPORT $TRANSPORT (known: http1 tls h2c h2)" ;;
    esac
}

make_certificate() {
    mkdir -p "$WORK/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null \
        || die "openssl could not make the benchmark's certificate"
}

start_herald() {
    local name=$1 _
    local port; port=$(free_port)
    # why: with $TRANSPORT set, publishes go to a plaintext publish listener for every transport alike, so that
    # only the subscribers' transport differs between the runs (the load generator publishes plaintext HTTP/1.1).
    local transport_args=() publish_port=""
    if [ -n "${TRANSPORT:-}" ]; then
        publish_port=$(free_port)
        read -r -a transport_args <<<"$(transport_serve_args) --publish-port $publish_port"
    fi
    # why: --drain-grace 0s and --drain-window 1s: a benchmark node has no load balancer to leave, and the
    # next run should not wait out the production grace.
    local backend=(--redis-url "redis://127.0.0.1:$REDIS_PORT")
    # why: the soak runs the memory backend too; redis still runs beside it, idle, so that the sampling is alike.
    [ "${HERALD_BACKEND:-redis}" = memory ] && backend=()
    # why: prlimit sets the limit on itself and execs herald, so $! is herald's pid.
    ${SERVER_NOFILE:+prlimit --nofile="$SERVER_NOFILE:$SERVER_NOFILE"} "$SERVER_BIN" serve --host 127.0.0.1 --port "$port" "${backend[@]}" \
        --log-level warning --drain-grace 0s --drain-window 1s ${HERALD_SERVE_ARGS:-} "${transport_args[@]}" \
        >"$OUT/$name.server.log" 2>&1 &
    SERVER_KIND=herald SERVER_PID=$! SERVER_PIDS=$!
    SERVER_URL=http://127.0.0.1:$port PUBLISH_URL=""
    case ${TRANSPORT:-} in tls | h2) SERVER_URL=https://127.0.0.1:$port ;; esac
    [ -n "$publish_port" ] && PUBLISH_URL=http://127.0.0.1:$publish_port
    for _ in $(seq 100); do
        curl -fsS "${PUBLISH_URL:-$SERVER_URL}/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$OUT/$name.server.log" >&2
    die "herald did not become ready within 10 s"
}

start_nchan() {
    local name=$1
    local port; port=$(free_port)
    NCHAN_PREFIX=$WORK/nchan-$name
    SERVER_PID=$("$HERE/nchan/start.sh" "$NCHAN_PREFIX" "$port" "$REDIS_PORT" 2 2>"$WORK/nchan-start.log") \
        || { cat "$WORK/nchan-start.log" >&2; die "nchan did not start"; }
    SERVER_KIND=nchan
    # why: nchan's work and memory are in its workers; the master only supervises them.
    SERVER_PIDS=$(pgrep -d, -P "$SERVER_PID")
    SERVER_URL=http://127.0.0.1:$port
}

# Waits (at most 3 s) until the sampler's file $1 has more than $2 lines: its first sample must precede the
# bench's connects, and its last must follow the publish window.
await_sample() {
    local _
    for _ in $(seq 30); do
        [ "$(wc -l <"$1")" -gt "$2" ] && return 0
        kill -0 "$SAMPLER_PID" 2>/dev/null || break
        sleep 0.1
    done
    log "no new sample in $1 within 3 s"
}

# Prefixes each line with the Unix time, so that report.py can find the bench's phases in the samples.
stamp() {
    local line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# Kills the server's redis pub/sub connections (CLIENT KILL TYPE pubsub) $2 seconds after the bench logged
# in $1 that it started publishing: the node must heal without a gap.
kill_pubsub_midway() {
    local _
    for _ in $(seq 600); do grep -q 'bench: publishing' "$1" 2>/dev/null && break; sleep 0.1; done
    sleep "$2"
    log "killed $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" client kill type pubsub) redis pub/sub connection(s)"
}

write_meta() {
    python3 - "$@" <<'EOF'
import json, sys
path, scenario, point, server, status, note, serve_args, *args = sys.argv[1:]
json.dump({"scenario": scenario, "point": point, "server": server, "status": status, "note": note or None,
           "serveArgs": serve_args.split(), "benchArgs": args}, open(path, "w"), indent=1)
EOF
}

RUN_SEQ=0
# run_point SCENARIO POINT SERVER BENCH-ARGS...: one `herald bench` run against a fresh redis and server.
run_point() {
    local scenario=$1 point=$2 server=$3; shift 3
    local args=("$@" "${COMMON[@]}")
    [ "$server" = nchan ] && args+=(--server nchan)
    RUN_SEQ=$((RUN_SEQ + 1))
    local name; name=$(printf '%02d-%s-%s.%s' "$RUN_SEQ" "$scenario" "$point" "$server")
    log "$name: ${args[*]}   (load $(cut -d' ' -f1-3 /proc/loadavg))"
    start_redis
    "start_$server" "$name"
    local pids=(--redis-pid "$REDIS_PID")
    [ "$server" = herald ] && pids+=(--server-pid "$SERVER_PID")
    [ -n "${PUBLISH_URL:-}" ] && args+=(--publish-url "$PUBLISH_URL")
    case ${TRANSPORT:-} in h2c | h2) args+=(--http2-streams "${H2_STREAMS:-100}") ;; esac
    python3 "$HERE/sample.py" --server "$SERVER_PIDS" --redis "$REDIS_PID" --max-seconds "$BENCH_TIMEOUT" \
        >"$OUT/$name.samples.jsonl" &
    SAMPLER_PID=$!
    await_sample "$OUT/$name.samples.jsonl" 0
    local status=ok
    timeout -k 5 "$BENCH_TIMEOUT" "$BENCH_BIN" bench --url "$SERVER_URL" "${pids[@]}" "${args[@]}" --json \
        >"$OUT/$name.json" 2> >(stamp >"$OUT/$name.log") &
    BENCH_PID=$!
    if [ -n "${KILL_PUBSUB_AFTER:-}" ]; then
        kill_pubsub_midway "$OUT/$name.log" "$KILL_PUBSUB_AFTER" &
        FAULT_PID=$!
    fi
    wait "$BENCH_PID" || status=failed
    BENCH_PID=""
    await_sample "$OUT/$name.samples.jsonl" "$(wc -l <"$OUT/$name.samples.jsonl")"
    stop_pid "$FAULT_PID"; FAULT_PID=""
    if [ "$status" = failed ]; then
        log "$name: herald bench failed; last lines of $OUT/$name.log:"
        tail -3 "$OUT/$name.log" >&2
    fi
    [ "$server" = nchan ] && cp "$NCHAN_PREFIX/logs/error.log" "$OUT/$name.server.log" 2>/dev/null || true
    stop_run
    local serve_args=""
    [ "$server" = herald ] && serve_args="${HERALD_SERVE_ARGS:-} $(transport_serve_args)"
    write_meta "$OUT/$name.meta.json" "$scenario" "$point" "$server" "$status" "" "$serve_args" "${args[@]}"
    [ "$status" = ok ] && log "$name: $(python3 "$HERE/report.py" --one "$OUT/$name.json" 2>&1)"
    # why: let the closed sockets' TIME_WAITs and the last writes settle before the next server starts.
    sleep "$PAUSE"
}

# both SCENARIO POINT BENCH-ARGS...: the same run against each server in $SERVERS.
both() {
    local scenario=$1 point=$2 server; shift 2
    for server in $SERVERS; do run_point "$scenario" "$point" "$server" "$@"; done
}

quick() { [ "$QUICK" = 1 ]; }

scenario_fan1k() {   # one topic, 1,000 subscribers, open-loop publisher at rising rates
    local subs=1000 rates="100 200 300 400" rate
    quick && { subs=200; rates=100; }
    for rate in $rates; do
        both fan1k "r$rate" --subscribers "$subs" --topics 1 --rate "$rate" --duration "$DURATION" --publishers 1 --settle "$SETTLE"
    done
}

scenario_transports() {   # herald only: fan1k with the subscribers over HTTP/1.1, TLS, h2c and h2
    # why: publishes go to a plaintext publish port in every run (start_herald), so only the subscribers'
    # transport differs; HTTP/2 subscribers share connections, 100 streams each (H2_STREAMS).
    local subs=1000 rates="100 200 300 400" rate transport
    quick && { subs=200; rates=100; }
    make_certificate
    for transport in ${TRANSPORTS:-http1 tls h2c h2}; do
        for rate in $rates; do
            TRANSPORT=$transport run_point transports "$transport-r$rate" herald \
                --subscribers "$subs" --topics 1 --rate "$rate" --duration "$DURATION" --publishers 1 --settle "$SETTLE"
        done
    done
}

scenario_fan10k() {   # one topic, 10,000 subscribers
    # why: 80/s, so that the highest rate within p99 500 ms is not merely the grid's top (Herald held 40/s at p99
    # 279–315 ms in the runs of 2026-11-22).
    local subs=10000 rates=${FAN10K_RATES:-"5 8 10 20 40 80"} rate
    quick && { subs=1000; rates=10; }
    for rate in $rates; do
        both fan10k "r$rate" --subscribers "$subs" --topics 1 --rate "$rate" --duration "$DURATION" --publishers 1 --settle "$SETTLE"
    done
}

scenario_topics10k() {   # 10,000 topics with one subscriber each, 8 publisher connections, then 32
    local subs=10000 rates=${TOPICS_RATES:-"2000 5000 10000"} rates32=${TOPICS_RATES_32:-"14000 18000"} rate
    quick && { subs=1000; rates=500; rates32=""; }
    for rate in $rates; do
        both topics10k "r$rate" --subscribers "$subs" --topics "$subs" --rate "$rate" --duration "$DURATION" --publishers 8 --settle "$SETTLE"
    done
    # why: with one request in flight per connection, 8 connections cannot offer more than 8 / round trip
    # (about 9.5k/s to herald, 6.8k/s to nchan): the points above measure the publish round trip as much as
    # the server. 32 connections offer more, to both servers alike.
    for rate in $rates32; do
        both topics10k "r${rate}p32" --subscribers "$subs" --topics "$subs" --rate "$rate" --duration "$DURATION" --publishers 32 --settle "$SETTLE"
    done
}

scenario_memory() {   # idle subscribers on one shared topic: RSS per connection
    # why: 18,000, not 100,000: the hard fd limit of 20,000 per process binds the load generator and herald.
    local counts="1000 5000 10000 18000" n
    quick && counts=1000
    for n in $counts; do
        both memory "c$n" --subscribers "$n" --topics 1 --rate 0 --duration 0 --settle "$((SETTLE + 2))"
    done
}

scenario_publish() {   # no subscribers, 8 (then 32) closed-loop publishers: publishes/s
    local common=(--subscribers 0 --topics 8 --publishers 8 --closed-loop --duration "$DURATION" --settle 0)
    both publish single "${common[@]}"
    both publish single32 --subscribers 0 --topics 32 --publishers 32 --closed-loop --duration "$DURATION" --settle 0
    # why: --batch sends 100 events per request to herald's batch endpoint; nchan has no batch publish.
    run_point publish batch100 herald "${common[@]}" --batch 100
}

scenario_slow() {   # 10 % of the subscribers never read: the others' latency and the server's memory
    local subs=1000
    quick && subs=200
    # why: 1,000-byte events and a 256 KiB slow-client buffer, so that the stalled streams fill their kernel
    # buffers and reach herald's limit within the 8 s of publishing (at the 4 MiB default it takes ~40 s).
    local common=(--subscribers "$subs" --topics 1 --rate 100 --duration "$DURATION" --publishers 1 --payload 1000 --settle "$SETTLE")
    HERALD_SERVE_ARGS="--slow-client-buffer 256KiB"
    both slow healthy "${common[@]}"
    both slow stalled "${common[@]}" --stalled-fraction 0.1
    HERALD_SERVE_ARGS=""
}

scenario_storm() {   # every subscriber reconnects at once with a Last-Event-ID 100 events back
    local subs=10000 topics=100 rate=600 seconds=18 back=100 publishers=10
    # why: 600 events/s × 18 s = 108 events per topic, at 60k deliveries/s, below fan-out saturation here. Ten
    # publisher connections own ten topics each, so every topic gets the same share; with 8, the topics of
    # the connections owning 13 got 98 events, fewer than BACK + 1, and their subscribers could not resume.
    quick && { subs=1000 topics=10 rate=100 seconds=2 back=10; }
    both storm "b$back" --subscribers "$subs" --topics "$topics" --rate "$rate" --duration "$seconds" --publishers "$publishers" \
        --settle "$SETTLE" --resume-storm "$back"
}

scenario_tokens() {   # LLM token streaming: N generations × 40 tokens/s, 1 subscriber each, then 3 (one answer open in 3 tabs)
    local gens=${TOKENS_GENERATIONS-"50 100 150 250 500 750 1000 1500 2000 3000 4000"} gens3=${TOKENS_GENERATIONS_3-"50 100 150 250 500 750 1000 1500 2000 3000 4000"}
    TOKENS_ALWAYS=${TOKENS_ALWAYS-"250 1000 2000"}  # why: "-", not ":-": an empty value means none
    quick && { gens="100 250"; gens3=100; TOKENS_ALWAYS=""; }
    # why: a way of feeding stops growing N after two N in a row it does not hold (bench/report.py --tokens-held):
    # past its breaking point a run only measures a backlog; the N of TOKENS_ALWAYS still run once each, so that
    # every way has figures there.
    TOKENS_MISSES=" "
    local n
    for n in $gens; do tokens_point "$n" 1; done
    TOKENS_MISSES=" "
    for n in $gens3; do tokens_point "$n" 3; done
}

# tokens_held POINT SERVER: whether the last run of that point held (bench/report.py --tokens-held).
tokens_held() {
    local file
    file=$(ls "$OUT"/[0-9]*-tokens-"$1"."$2".json 2>/dev/null | tail -1)
    [ -n "$file" ] && python3 "$HERE/report.py" --tokens-held "$file" >/dev/null
}

# tokens_point N TABS: the runs of N generations with TABS subscribers each: Herald fed one request per token,
# by streaming requests and by gathering publishers; nchan one request per token (its only way).
tokens_point() {
    local n=$1 tabs=$2 server feed way
    local common=(--subscribers "$((n * tabs))" --topics "$n" --token-rate 40 --duration "$DURATION" --settle "$SETTLE")
    for server in $SERVERS; do
        for feed in request stream batch; do
            [ "$server" = nchan ] && [ "$feed" != request ] && continue
            way=$server-$feed-s$tabs
            local stopped=false
            case $TOKENS_MISSES in *" $way:2 "*) stopped=true ;; esac
            $stopped && [[ " $TOKENS_ALWAYS " != *" $n "* ]] && continue
            local extra=()
            # why: a gathering publisher per 250 generations (an application server relaying the answers of one
            # model replica's running sequences), gathering for 5 ms: about 50 tokens per request.
            [ "$feed" = batch ] && extra=(--publishers "$(((n + 249) / 250))" --batch-window 5)
            local point=g${n}s${tabs}-$feed
            run_point tokens "$point" "$server" "${common[@]}" --feed "$feed" "${extra[@]}"
            # why: on the 2 shared cores one neighbour's burst can sink a run; a point that missed runs once more,
            # and holds if either run held (report.py shows both).
            $stopped && continue
            if ! tokens_held "$point" "$server"; then
                run_point tokens "$point-again" "$server" "${common[@]}" --feed "$feed" "${extra[@]}"
            fi
            if tokens_held "$point" "$server" || tokens_held "$point-again" "$server"; then
                TOKENS_MISSES=${TOKENS_MISSES/ $way:1 / }
            elif [[ $TOKENS_MISSES == *" $way:1 "* ]]; then
                TOKENS_MISSES=${TOKENS_MISSES/ $way:1 / $way:2 }
                log "tokens: $way did not hold $n generations, the second N in a row; no larger N for it"
            else
                TOKENS_MISSES="$TOKENS_MISSES$way:1 "
            fi
        done
    done
}

scenario_heal() {   # not in the default set: topics10k at 2,000/s, redis pub/sub connections killed halfway
    local subs=10000
    quick && subs=1000
    KILL_PUBSUB_AFTER=$((DURATION / 2))
    both heal r2000 --subscribers "$subs" --topics "$subs" --rate 2000 --duration "$DURATION" --publishers 8 --settle "$SETTLE"
    KILL_PUBSUB_AFTER=""
}

scenario_capacity() {   # not in the default set; herald only: clients past the limit of a node at 1,024 descriptors
    local clients=1200 name
    quick && clients=1100
    RUN_SEQ=$((RUN_SEQ + 1))
    name=$(printf '%02d-capacity-c%d.herald' "$RUN_SEQ" "$clients")
    log "$name: $clients EventSource-like clients against herald under prlimit --nofile=1024   (load $(cut -d' ' -f1-3 /proc/loadavg))"
    start_redis
    SERVER_NOFILE=1024 start_herald "$name"
    # why: 1,200 clients at 400/s pass the node's limit (main: its 1,024 descriptors; now: --max-connections
    # derived from them, 868 with 2 threads and Redis) within 3 s; then 3 s of warm-up and 10 s measured.
    timeout -k 5 "$BENCH_TIMEOUT" python3 "$HERE/capacity.py" --port "${SERVER_URL##*:}" --server-pid "$SERVER_PID" \
        --clients "$clients" --ramp 400 --warmup 3 --duration 10 >"$OUT/$name.capacity.json" 2>"$OUT/$name.log" \
        || log "$name: capacity.py failed: $(tail -3 "$OUT/$name.log")"
    stop_run
    log "$name: $(cat "$OUT/$name.capacity.json")"
    sleep "$PAUSE"
}


scenario_soak() {   # herald only: one node per backend, SOAK_ROUNDS rounds of SOAK_TOPICS never-seen topics each
    local rounds=${SOAK_ROUNDS:-24} topics=${SOAK_TOPICS:-5000} backend
    quick && { rounds=4 topics=1000; }
    for backend in ${SOAK_BACKENDS:-memory redis}; do
        soak_backend "$backend" "$rounds" "$topics"
    done
}

# soak_backend BACKEND ROUNDS TOPICS: one server for the whole soak, and per round three `herald bench` runs:
#   1. TOPICS subscribers, one per topic soak<round>-<n> (never seen before), connect and close: per-user topics
#      nobody publishes to during a visit;
#   2. the same subscribers reconnect and close again;
#   3. the steady publish load: 2 s at 2,000 events/s over 8 connections on 1,000 new topics load<round>-<n>
#      that no stream of this node follows (with Redis: published for other nodes; in memory: stored, then
#      dropped by --history-max-age).
# After each round (and before the first) the server's RSS and GET /stats go into soak-<backend>.rounds.jsonl;
# bench/sample.py samples RSS twice a second throughout.
soak_backend() {
    local backend=$1 rounds=$2 topics=$3 round pass name
    name=soak-$backend
    log "$name: $rounds rounds of $topics new topics   (load $(cut -d' ' -f1-3 /proc/loadavg))"
    start_redis
    # why: --history-max-age 10s lets the memory backend drop the published topics' history once idle (it is
    # data kept on purpose, not a leak); the same flag on Redis only bounds Redis, not the node.
    HERALD_BACKEND=$backend HERALD_SERVE_ARGS="--history-max-age 10s" start_herald "$name"
    python3 "$HERE/sample.py" --server "$SERVER_PID" --redis "$REDIS_PID" --max-seconds 3600 >"$OUT/$name.samples.jsonl" &
    SAMPLER_PID=$!
    soak_record "$name" 0 0
    for round in $(seq 1 "$rounds"); do
        for pass in connect reconnect; do
            soak_bench "$name.round$round.$pass" --topic-prefix "soak$round" --subscribers "$topics" --topics "$topics" \
                --rate 0 --duration 0 --settle 0
        done
        soak_bench "$name.round$round.load" --topic-prefix "load$round" --subscribers 0 --topics 1000 --publishers 8 \
            --rate 2000 --duration 2 --settle 0 --drain 0
        soak_record "$name" "$round" "$((round * topics))"
    done
    stop_run
    python3 "$HERE/report.py" --soak "$OUT/$name.rounds.jsonl" >&2 || true
}

# soak_bench NAME BENCH-ARGS...: one `herald bench` run against the soak's server.
soak_bench() {
    local name=$1; shift
    timeout -k 5 "$BENCH_TIMEOUT" "$BENCH_BIN" bench --url "$SERVER_URL" --server-pid "$SERVER_PID" "$@" --json \
        >"$OUT/$name.json" 2> >(stamp >"$OUT/$name.log") || log "$name: herald bench failed; see $OUT/$name.log"
}

# soak_record NAME ROUND TOPICS: one line of NAME.rounds.jsonl (the server's RSS now and its /stats).
soak_record() {
    local rss stats
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
    stats=$(curl -fsS "$SERVER_URL/stats" 2>/dev/null || echo null)
    printf '{"round": %s, "topics": %s, "t": %s, "rssKiB": %s, "stats": %s}\n' "$2" "$3" "$EPOCHREALTIME" "$rss" "$stats" \
        >>"$OUT/$1.rounds.jsonl"
    log "$1: round $2, $3 topics churned, RSS $((rss / 1024)) MiB"
}

for scenario in $SCENARIOS; do
    declare -F "scenario_$scenario" >/dev/null || die "unknown scenario $scenario (known: fan1k fan10k topics10k memory publish slow storm tokens heal capacity soak transports)"
done
for server in $SERVERS; do
    case $server in herald | nchan) ;; *) die "unknown server $server (known: herald nchan)" ;; esac
done

started=$SECONDS
mkdir -p "$OUT"
log "installing what is missing (scripts/install-deps.sh --bench)"
"$ROOT/scripts/install-deps.sh" --bench >&2
if [ -n "${SERVER_BIN:-}" ]; then
    BIN=$SERVER_BIN
    log "serving $BIN (SERVER_BIN; nothing built)"
else
    log "building herald (release)"
    swift build -c release --product herald >&2
    BIN=$(swift build -c release --show-bin-path)/herald
fi
BENCH_BIN=${BENCH_BIN:-$BIN}
SERVER_BIN=${SERVER_BIN:-$BIN}
{
    echo "date: $(date -u +%FT%TZ)"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' (with local changes)')"
    echo "host: $(uname -srm), $(nproc) cores, $(free -m | awk '/^Mem:/ { print $2 }') MiB, fd limit $(ulimit -n)"
    echo "load before: $(cat /proc/loadavg)"
    echo "swift: $(swift --version 2>&1 | head -1)"
    echo "redis: $(redis-server --version)"
    echo "nginx: $(nginx -v 2>&1), nchan $(dpkg-query -W -f '${Version}' libnginx-mod-nchan 2>/dev/null || echo '?')"
    echo "load generator: $BENCH_BIN"
    echo "server: $SERVER_BIN"
    echo "settings: SCENARIOS=\"$SCENARIOS\" SERVERS=\"$SERVERS\" QUICK=$QUICK DURATION=$DURATION"
} >"$OUT/machine.txt"
log "results in $OUT"

for scenario in $SCENARIOS; do "scenario_$scenario"; done

python3 "$HERE/report.py" "$OUT"
"$ROOT/.build/venv-bench/bin/python" "$HERE/plot.py" "$OUT" >&2 || log "plot.py failed; the table above is complete"
if $PUBLISH_PLOTS; then
    mkdir -p "$ROOT/docs/img"
    cp "$OUT"/*.png "$ROOT/docs/img/" && log "copied the plots to docs/img/"
fi
log "done in $((SECONDS - started)) s; results in $OUT"
