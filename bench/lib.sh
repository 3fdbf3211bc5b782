# Shell helpers shared by bench/run.sh and bench/cluster.sh: logging, stopping a process by PID, a free port.
# Sourced, not run.

log() { printf '[%(%T)T] %s\n' -1 "$*" >&2; }
die() { log "$*"; exit 1; }

# stop_pid PID: SIGTERM, then SIGKILL if it is still there after 15 s; reaps it. Nothing for an empty PID.
stop_pid() {
    local pid=$1 _
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    # why: herald drains its streams within --drain-window (1s in the benches); 15 s is far past that.
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    log "pid $pid did not stop within 15 s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# free_port: a loopback TCP port free right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
