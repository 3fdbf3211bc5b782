#!/usr/bin/env python3
"""Samples the resident memory and CPU time of the server and redis processes from /proc, as JSON lines.

    bench/sample.py --server PID[,PID...] [--redis PID] [--interval 0.5] [--max-seconds 900]

One line per interval: {"t": unix seconds, "server": {"rssKiB", "cpuSeconds", "fds", "pids"}, "redis": {...}}
with the sums over the listed processes (nchan: its worker processes; herald: one process). bench/run.sh
runs it beside every `herald bench`, so that Herald and nchan are measured the same way whatever the load
generator itself samples; bench/report.py reads the idle, peak and CPU figures from these lines.
Stops on SIGTERM, when every listed process is gone, or after --max-seconds.
"""
import argparse
import json
import os
import signal
import sys
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process(pid):
    """(rss KiB, cpu seconds, open fds) of one process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        with open("/proc/%d/status" % pid) as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        fields = stat[stat.rindex(")") + 2:].split()
        # utime and stime are fields 14 and 15 of proc(5); fields[0] here is field 3 (state).
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        try:
            fds = len(os.listdir("/proc/%d/fd" % pid))
        except OSError:
            fds = None
        return rss, cpu, fds
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def group(pids):
    seen = [s for s in (process(p) for p in pids) if s is not None]
    if not seen:
        return None
    fds = [s[2] for s in seen]
    return {"rssKiB": sum(s[0] for s in seen), "cpuSeconds": round(sum(s[1] for s in seen), 2),
            "fds": None if None in fds else sum(fds), "pids": len(seen)}


def pid_list(text):
    return [int(p) for p in text.split(",") if p.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", type=pid_list, required=True)
    parser.add_argument("--redis", type=pid_list, default=[])
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        line = {"t": round(time.time(), 3), "server": group(args.server)}
        if line["server"] is None:
            return
        if args.redis:
            line["redis"] = group(args.redis)
        print(json.dumps(line), flush=True)
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
