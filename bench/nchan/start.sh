#!/usr/bin/env bash
# Starts nginx + nchan in the foreground of its own prefix on 127.0.0.1:PORT, against the redis on
# REDIS_PORT (started by the caller), and prints the master's PID once /nchan_status answers.
#   bench/nchan/start.sh PREFIX PORT REDIS_PORT [WORKERS]     # WORKERS defaults to 2
# Writes PREFIX/nginx.conf (from nginx.conf.in), PREFIX/master.pid and PREFIX/logs/. Stop it with
# bench/nchan/stop.sh PREFIX. Exits non-zero, with nginx stopped, when it does not come up in 10 s.
set -euo pipefail
prefix=${1:?usage: start.sh PREFIX PORT REDIS_PORT [WORKERS]}
port=${2:?usage: start.sh PREFIX PORT REDIS_PORT [WORKERS]}
redis_port=${3:?usage: start.sh PREFIX PORT REDIS_PORT [WORKERS]}
workers=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
module=/usr/lib/nginx/modules/ngx_nchan_module.so
[ -r "$module" ] || { echo "start.sh: $module is missing: apt-get install libnginx-mod-nchan" >&2; exit 1; }

mkdir -p "$prefix"/{logs,tmp}
sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@REDIS_PORT@|$redis_port|g" -e "s|@WORKERS@|$workers|g" \
    "$here/nginx.conf.in" >"$prefix/nginx.conf"
# why: -e sends the messages nginx writes before reading the config to our prefix, not /var/log/nginx.
nginx -t -q -e "$prefix/logs/error.log" -c "$prefix/nginx.conf" -p "$prefix/"
ulimit -n 20000
nginx -e "$prefix/logs/error.log" -c "$prefix/nginx.conf" -p "$prefix/" >>"$prefix/logs/stdout.log" 2>&1 &
master=$!
echo "$master" >"$prefix/master.pid"
# why: 10 s is far more than nginx needs to start; polled every 0.1 s.
for _ in $(seq 100); do
    if ! kill -0 "$master" 2>/dev/null; then
        echo "start.sh: nginx exited; see $prefix/logs/error.log" >&2
        tail -5 "$prefix/logs/error.log" >&2 || true
        exit 1
    fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nchan_status" 2>/dev/null)" = 200 ] \
        && [ "$(pgrep -c -P "$master" || true)" -ge "$workers" ]; then
        echo "$master"
        exit 0
    fi
    sleep 0.1
done
echo "start.sh: nginx did not answer on 127.0.0.1:$port within 10 s; stopping it" >&2
"$here/stop.sh" "$prefix" >&2
exit 1
