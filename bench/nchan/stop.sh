#!/usr/bin/env bash
# Stops the nginx that bench/nchan/start.sh started in PREFIX, by the PIDs of its master and workers:
# TERM (fast shutdown), KILL after 5 s. Returns once every one of them is gone.
#   bench/nchan/stop.sh PREFIX
set -uo pipefail
prefix=${1:?usage: stop.sh PREFIX}
[ -s "$prefix/master.pid" ] || exit 0
master=$(cat "$prefix/master.pid")
# why: the workers are listed before the master goes, so that a worker left behind can still be killed.
pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
alive() { local pid; for pid in $pids; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
wait_gone() { local _; for _ in $(seq "$1"); do alive || return 0; sleep 0.1; done; return 1; }

# why: TERM, not QUIT: a graceful stop waits for open requests, and an overloaded nchan worker can take
# long to drain its backlog; a benchmark needs neither.
kill -TERM "$master" 2>/dev/null
if ! wait_gone 50; then
    echo "stop.sh: nginx $pids still alive 5 s after TERM; sending KILL" >&2
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    wait_gone 50 || echo "stop.sh: $pids did not exit after KILL" >&2
fi
rm -f "$prefix/master.pid"
