#!/usr/bin/env python3
"""One `herald bench` run against Herald on a Redis Cluster, measured per shard; and the table of such runs.

    bench/cluster_point.py run --out F.json --node NAME:PID [--node ...] --shard PORT:PID [--shard ...] -- herald bench ... --json
    bench/cluster_point.py one F.json          # one line
    bench/cluster_point.py report DIR          # the markdown table of every run in DIR (bench/cluster.sh)

`run` reads the shards' CPU for 2 s with nothing published (their idle rate, subtracted from the figures
per event), starts the bench and, when the bench logs
that it starts and stops publishing, reads every shard's CPU (`/proc/PID/stat` utime + stime, and Redis'
own `used_cpu_user` + `used_cpu_sys`), every Herald node's (`publish`: the node publishers reach; `edge`:
the node subscribers reach, when it is another) and the bench's CPU, the host's busy time and the load
average, and resets every shard's `INFO commandstats` (CONFIG RESETSTAT) when publishing starts. After the
bench it reads each shard's `INFO commandstats` (commands a script runs are counted too:
`XADD`, `SPUBLISH`, `HSET` inside the publish script), `INFO memory` and the sharded channels it holds.
So: Redis CPU per published event = (shard CPU in the publish window) / events acknowledged, and the script's
own time per call = `cmdstat_evalsha` usec_per_call, which leaves out reading requests and writing replies.
"""
import glob
import json
import os
import subprocess
import sys
import threading
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return None


def host_busy():
    """(busy, total) jiffies of the whole host from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def redis(port, *args):
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True, timeout=30)
    return out.stdout


def info(port, section):
    fields = {}
    for line in redis(port, "info", section).splitlines():
        if ":" in line and not line.startswith("#"):
            key, value = line.strip().split(":", 1)
            fields[key] = value
    return fields


def commandstats(port):
    stats = {}
    for key, value in info(port, "commandstats").items():
        parts = dict(item.split("=") for item in value.split(","))
        stats[key.replace("cmdstat_", "")] = {"calls": int(parts["calls"]), "usec": int(parts["usec"]),
                                               "usecPerCall": float(parts["usec_per_call"])}
    return stats


def snapshot(shards, nodes, bench_pid):
    busy, total = host_busy()
    shard_cpu = []
    for port, pid in shards:
        cpu = info(port, "cpu")
        shard_cpu.append({"process": cpu_seconds(pid),
                          "redis": float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])})
    return {"t": time.monotonic(), "load": open("/proc/loadavg").read().split()[:3], "hostBusy": busy,
            "hostTotal": total, "nodes": {name: cpu_seconds(pid) for name, pid in nodes}, "bench": cpu_seconds(bench_pid), "shards": shard_cpu}


def run(argv):
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    out, nodes, shards = None, [], []
    for flag, value in zip(options[::2], options[1::2]):
        if flag == "--out":
            out = value
        elif flag == "--node":
            name, pid = value.split(":")
            nodes.append((name, int(pid)))
        elif flag == "--shard":
            port, pid = value.split(":")
            shards.append((int(port), int(pid)))
    for port, _ in shards:
        redis(port, "config", "resetstat")
    # why: the shards' CPU with nothing published (cluster bus, health checks, subscriber reports), to tell
    # what a point adds; it matters at low publish rates.
    idle_start = snapshot(shards, nodes, os.getpid())
    time.sleep(2)
    marks = {"idleStart": idle_start, "idleEnd": snapshot(shards, nodes, os.getpid())}
    bench = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout = []
    reader = threading.Thread(target=lambda: stdout.append(bench.stdout.read()))
    reader.start()
    for line in bench.stderr:
        sys.stderr.write(line)
        if "bench: publishing" in line:
            marks["start"] = snapshot(shards, nodes, bench.pid)
            # why: counted from here, the script calls are the publishes alone, not the history reads of the
            # subscribers that connected before.
            for port, _ in shards:
                redis(port, "config", "resetstat")
        elif "bench: published" in line:
            marks["end"] = snapshot(shards, nodes, bench.pid)
    bench.wait()
    reader.join()
    after = []
    for port, _ in shards:
        memory = info(port, "memory")
        stats = info(port, "stats")
        after.append({"port": port, "commandstats": commandstats(port), "usedMemory": int(memory["used_memory"]),
                      "shardChannels": int(stats.get("pubsubshard_channels", 0)),
                      "keys": int(redis(port, "dbsize").strip() or 0)})
    result = {"command": command, "exit": bench.returncode, "marks": marks, "shards": after,
              "bench": json.loads(stdout[0]) if stdout and stdout[0].strip() else None}
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    return 0 if bench.returncode == 0 else 1


def figures(result):
    """The table's figures of one run (None where the run did not give them)."""
    bench, marks = result["bench"] or {}, result["marks"]
    publish = bench.get("publish") or {}
    delivery = bench.get("delivery") or {}
    events = publish.get("acknowledged", 0)
    window = marks["end"]["t"] - marks["start"]["t"] if "start" in marks and "end" in marks else None
    per_shard = []
    for index, shard in enumerate(result["shards"]):
        stats = shard["commandstats"]
        evalsha = stats.get("evalsha", {"calls": 0, "usec": 0, "usecPerCall": 0})
        cpu = None
        if window:
            a, b = marks["start"]["shards"][index], marks["end"]["shards"][index]
            cpu = b["redis"] - a["redis"]
        per_shard.append({"calls": evalsha["calls"], "usecPerCall": evalsha["usecPerCall"], "cpuSeconds": cpu,
                          "spublishUsec": stats.get("spublish", {}).get("usecPerCall")})
    calls = sum(s["calls"] for s in per_shard)
    redis_cpu = sum(s["cpuSeconds"] or 0 for s in per_shard) if window else None
    if window and "idleStart" in marks:
        idle_seconds = marks["idleEnd"]["t"] - marks["idleStart"]["t"]
        idle_rate = sum(b["redis"] - a["redis"] for a, b in zip(marks["idleStart"]["shards"], marks["idleEnd"]["shards"])) / idle_seconds
        redis_cpu = max(0.0, redis_cpu - idle_rate * window)
    node_cpu = {name: marks["end"]["nodes"][name] - cpu for name, cpu in marks["start"]["nodes"].items()} if window else {}
    herald_cpu = node_cpu.get("publish")
    edge_cpu = node_cpu.get("edge")
    bench_cpu = marks["end"]["bench"] - marks["start"]["bench"] if window else None
    host = None
    if window:
        host = 100 * (marks["end"]["hostBusy"] - marks["start"]["hostBusy"]) / max(1, marks["end"]["hostTotal"] - marks["start"]["hostTotal"])
    return {
        "shards": len(result["shards"]), "events": events, "window": window,
        "eventsPerSecond": publish.get("acknowledgedPerSecond"), "requestsPerSecond": publish.get("requestsPerSecond"),
        "failed": publish.get("failed"), "deliveriesPerSecond": delivery.get("steadyPerSecond"),
        "missing": delivery.get("missing"), "p99": (delivery.get("latency") or {}).get("p99"),
        "publishP99": (publish.get("latency") or {}).get("p99"),
        "calls": calls, "perShard": per_shard,
        "redisCPUPercent": 100 * redis_cpu / window if window else None,
        # why: less the idle rate of the shards (measured for 2 s before the bench), so that low rates are not
        # dominated by the cluster's own chatter.
        "redisUsPerEvent": 1e6 * redis_cpu / events if window and events else None,
        "heraldCPUPercent": 100 * herald_cpu / window if herald_cpu is not None else None,
        "heraldUsPerEvent": 1e6 * herald_cpu / events if herald_cpu is not None and events else None,
        "edgeCPUPercent": 100 * edge_cpu / window if edge_cpu is not None else None,
        "benchCPUPercent": 100 * bench_cpu / window if window else None,
        "hostBusyPercent": host, "load": marks.get("start", {}).get("load"),
        "rssPerIdleConnection": (bench.get("memory") or {}).get("rssPerIdleConnectionBytes"),
        # why: the steady rate, not the total delivered: the total includes deliveries after the window.
        "edgeUsPerDelivery": 1e4 * edge_cpu / window / delivery["steadyPerSecond"] * 100
        if edge_cpu is not None and delivery.get("steadyPerSecond") else None,
    }


def number(value, digits=0):
    if value is None:
        return "-"
    return "{:,.{}f}".format(value, digits)


def one(path):
    f = figures(json.load(open(path)))
    shards = "; ".join("%s calls, %.1f µs/call, %s%% CPU" % (number(s["calls"]), s["usecPerCall"],
                       number(100 * s["cpuSeconds"] / f["window"]) if s["cpuSeconds"] is not None and f["window"] else "-")
                       for s in f["perShard"])
    print("%s events/s (%s req/s), deliveries/s %s (p99 %s ms, missing %s), redis %s µs/event, publishing node %s µs/event "
          "(%s%%), edge %s%% (%s µs/delivery), bench %s%%, host %s%%, load %s | shards: %s" % (
              number(f["eventsPerSecond"]), number(f["requestsPerSecond"]), number(f["deliveriesPerSecond"]),
              number(f["p99"], 1), number(f["missing"]), number(f["redisUsPerEvent"], 1), number(f["heraldUsPerEvent"], 1),
              number(f["heraldCPUPercent"]), number(f["edgeCPUPercent"]), number(f["edgeUsPerDelivery"], 2),
              number(f["benchCPUPercent"]), number(f["hostBusyPercent"]), " ".join(f["load"] or []), shards))


def report(directory):
    print("| point | shards | events/s (requests/s) | deliveries/s, p99 ms, missing | script calls per shard (share) "
          "| `evalsha` µs/call per shard | Redis CPU % per shard | Redis CPU µs/event (all shards) "
          "| publishing node CPU %, µs/event | edge CPU %, µs/delivery | bench CPU % | host busy % | load (1/5/15) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for path in sorted(glob.glob(os.path.join(directory, "r[0-9]*.json"))):
        f = figures(json.load(open(path)))
        name = os.path.basename(path)[:-5]
        shares = " / ".join("%s (%s%%)" % (number(s["calls"]), number(100 * s["calls"] / f["calls"] if f["calls"] else None))
                            for s in f["perShard"])
        usec = " / ".join(number(s["usecPerCall"], 1) for s in f["perShard"])
        cpu = " / ".join(number(100 * s["cpuSeconds"] / f["window"] if s["cpuSeconds"] is not None and f["window"] else None)
                         for s in f["perShard"])
        delivery = "-" if not f["deliveriesPerSecond"] else "%s, %s, %s" % (
            number(f["deliveriesPerSecond"]), number(f["p99"], 1), number(f["missing"]))
        edge = "-" if f["edgeCPUPercent"] is None else "%s, %s" % (number(f["edgeCPUPercent"]), number(f["edgeUsPerDelivery"], 2))
        print("| %s | %d | %s (%s) | %s | %s | %s | %s | %s | %s, %s | %s | %s | %s | %s |" % (
            name, f["shards"], number(f["eventsPerSecond"]), number(f["requestsPerSecond"]), delivery, shares, usec, cpu,
            number(f["redisUsPerEvent"], 1), number(f["heraldCPUPercent"]), number(f["heraldUsPerEvent"], 1), edge,
            number(f["benchCPUPercent"]), number(f["hostBusyPercent"]), " ".join(f["load"] or [])))


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "run":
        sys.exit(run(rest))
    elif mode == "one":
        one(rest[0])
    elif mode == "report":
        report(rest[0])
    else:
        sys.exit("usage: cluster_point.py run|one|report ...")
