#!/usr/bin/env bash
# Stops the nginx that bench/nchan/start.sh started in PREFIX, by the PIDs of its master and workers:
# QUIT (graceful), TERM after 5 s, KILL after 5 s more. Returns once every one of them is gone.
#   bench/nchan/stop.sh PREFIX
set -uo pipefail
prefix=${1:?usage: stop.sh PREFIX}
[ -s "$prefix/master.pid" ] || exit 0
master=$(cat "$prefix/master.pid")
# why: the workers are listed before the master goes, so that a worker left behind can still be killed.
pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
alive() { local pid; for pid in $pids; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
wait_gone() { local _; for _ in $(seq "$1"); do alive || return 0; sleep 0.1; done; return 1; }

kill -QUIT "$master" 2>/dev/null
# why: an overloaded nchan worker can take long to drain its backlog; a benchmark does not need it drained.
if ! wait_gone 50; then
    kill -TERM "$master" 2>/dev/null
    if ! wait_gone 50; then
        echo "stop.sh: nginx $pids still alive 10 s after QUIT; sending KILL" >&2
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null
        wait_gone 50 || echo "stop.sh: $pids did not exit after KILL" >&2
    fi
fi
rm -f "$prefix/master.pid"
