#!/usr/bin/env python3
"""Redis-side measures for the scaling model (docs/scaling.md), on one cluster master with a Herald node on it.

    bench/cluster_redis.py --port P --pid PID [--herald http://127.0.0.1:H] [--out F.json] [ceiling] [memory] [fanout]

- ceiling: Herald's publish script (read from Sources/HeraldRedis/RedisBroker+Scripts.swift; its SHA1 checked
  against the one Herald loaded) driven on ONE topic by `redis-benchmark`, one event per call and 100 per call,
  with one connection subscribed to the topic's channel (a Herald node) reading everything: the calls/s one
  shard gives one topic, `cmdstat_evalsha` usec_per_call and the shard's process CPU per call (which adds
  reading the requests, writing the replies and the delivery to the subscriber).
- memory: `MEMORY USAGE` of a topic's keys after 0, 1, 100, 1,000 and 10,000 events of 100 bytes published
  through Herald (default --history-length 1000); an idempotency key; then `used_memory` before and after
  100,000 sharded channels are subscribed by one connection (one Herald node) and by a second one.
- fanout: Redis CPU per `SPUBLISH` of a 100-byte message with 0, 1, 4 and 16 connections subscribed to the
  channel (each one a Herald node with streams on the topic), from `cmdstat_spublish` and /proc.
Loopback only. Starts nothing it does not stop: redis-benchmark runs to completion, sockets are closed.
"""
import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")
PAYLOAD = "x" * 100


def log(message):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), message))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def cli(port, *args):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True,
                          timeout=60).stdout.strip()


def used_memory(port):
    return int(re.search(r"used_memory:(\d+)", cli(port, "info", "memory")).group(1))


def commandstat(port, command):
    match = re.search(r"cmdstat_%s:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)" % command, cli(port, "info", "commandstats"))
    return (int(match.group(1)), int(match.group(2)), float(match.group(3))) if match else (0, 0, 0.0)


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


class Subscriber:
    """One raw connection in sharded pub/sub mode that reads (and drops) everything it is sent, like a node."""

    def __init__(self, port, channels):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.received = self.confirmed = 0
        self.carry = b""
        self.running = True
        self.thread = threading.Thread(target=self.drain, daemon=True)
        self.thread.start()
        for start in range(0, len(channels), 1000):
            self.sock.sendall(b"".join(resp("SSUBSCRIBE", c) for c in channels[start:start + 1000]))
        # why: a bound, not a wait: 100,000 confirmations arrive within a few seconds.
        deadline = time.monotonic() + 120
        while self.confirmed < len(channels):
            if time.monotonic() > deadline:
                raise RuntimeError("only %d of %d channels confirmed" % (self.confirmed, len(channels)))
            time.sleep(0.05)

    def drain(self):
        while self.running:
            try:
                data = self.sock.recv(1 << 20)
            except OSError:
                return
            if not data:
                return
            # why: a marker may straddle two reads; every marker ends a line, so what follows the last
            # newline is carried to the next read and holds no whole marker.
            chunk = self.carry + data
            cut = chunk.rfind(b"\n") + 1
            self.received += chunk.count(b"smessage\r\n", 0, cut)
            self.confirmed += chunk.count(b"ssubscribe\r\n", 0, cut)
            self.carry = chunk[cut:]

    def close(self):
        self.running = False
        # why: close() alone does not end a recv() blocked in the other thread, and the connection stays open
        # until that recv returns; shutdown() sends the FIN and wakes it.
        self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join()
        self.sock.close()


def publish_script():
    source = open(os.path.join(ROOT, "Sources/HeraldRedis/RedisBroker+Scripts.swift")).read()
    body = re.search(r'static let publish = """\n(.*?)\n\s*"""', source, re.S).group(1)
    lines = body.split("\n")
    indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    return "\n".join(l[indent:] for l in lines).replace("\\\\", "\\")


def post(herald, body, headers=None):
    request = urllib.request.Request(herald + "/publish", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def benchmark(port, pid, command, total, clients, pipeline):
    cli(port, "config", "resetstat")
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", str(total), "-c", str(clients),
                    "-P", str(pipeline), "-q", *command], capture_output=True, text=True, timeout=300, check=True)
    cpu, seconds = cpu_seconds(pid) - cpu0, time.monotonic() - t0
    return cpu, seconds


def ceiling(args):
    script = publish_script()
    sha = hashlib.sha1(script.encode()).hexdigest()
    if args.herald:
        post(args.herald, {"topic": "hot", "data": PAYLOAD})
    loaded = cli(args.port, "script", "exists", sha) == "1"
    log("publish script sha %s, loaded by herald: %s" % (sha, loaded))
    if not loaded:
        cli(args.port, "script", "load", script)
    keys = ["herald:{hot}:stream", "herald:{hot}:meta", "herald:{hot}:live"]
    limits = ["1000", "0", "604800000", "600000"]
    listener = Subscriber(args.port, [keys[2]])
    results = []
    for events, total, clients, pipeline in ((1, 200000, 32, 1), (1, 400000, 32, 16), (100, 4000, 8, 1), (100, 8000, 8, 4)):
        command = ["EVALSHA", sha, "3", *keys, *limits] + ["", PAYLOAD, "0"] * events
        before = listener.received
        cpu, seconds = benchmark(args.port, args.pid, command, total, clients, pipeline)
        calls, usec, per_call = commandstat(args.port, "evalsha")
        time.sleep(0.5)
        row = {"eventsPerCall": events, "calls": calls, "clients": clients, "pipeline": pipeline, "seconds": seconds,
               "callsPerSecond": calls / seconds, "eventsPerSecond": calls * events / seconds,
               "usecPerCall": per_call, "processCPUUsecPerCall": 1e6 * cpu / calls,
               "processCPUPercent": 100 * cpu / seconds, "deliveredToSubscriber": listener.received - before,
               "load": open("/proc/loadavg").read().split()[:3]}
        results.append(row)
        log("ceiling: %(eventsPerCall)d event(s)/call, -c %(clients)d -P %(pipeline)d: %(callsPerSecond).0f calls/s, "
            "%(usecPerCall).2f µs/call (script), %(processCPUUsecPerCall).2f µs/call (process), "
            "CPU %(processCPUPercent).0f%%, delivered %(deliveredToSubscriber)d" % row)
    listener.close()
    return {"sha": sha, "loadedByHerald": loaded, "runs": results}


def memory(args):
    results = {"topics": []}
    for count in (0, 1, 100, 1000, 10000) if args.herald else ():
        topic = "mem%d" % count
        for start in range(0, count, 1000):
            post(args.herald, [{"topic": topic, "data": PAYLOAD} for _ in range(min(1000, count - start))])
        row = {"events": count}
        for key in ("stream", "meta"):
            usage = cli(args.port, "memory", "usage", "herald:{%s}:%s" % (topic, key), "samples", "0")
            row[key] = int(usage) if usage.isdigit() else 0
        row["xlen"] = int(cli(args.port, "xlen", "herald:{%s}:stream" % topic) or 0)
        results["topics"].append(row)
        log("memory: topic with %(events)d events published: stream %(stream)d B (%(xlen)d kept), meta %(meta)d B" % row)
    # why: Redis 7 preallocates a stream's first node up to stream-node-max-bytes (4096 by default), which
    # dominates a topic that keeps few events; the same topics with 512-byte nodes show what the setting saves.
    for count in (1, 10, 100) if args.herald else ():
        cli(args.port, "config", "set", "stream-node-max-bytes", "512")
        topic = "memsmall%d" % count
        post(args.herald, [{"topic": topic, "data": PAYLOAD} for _ in range(count)])
        usage = cli(args.port, "memory", "usage", "herald:{%s}:stream" % topic, "samples", "0")
        results["topics"].append({"events": count, "streamNodeMaxBytes": 512, "stream": int(usage), "xlen": count})
        log("memory: with stream-node-max-bytes 512, a topic with %d events: stream %s B" % (count, usage))
    cli(args.port, "config", "set", "stream-node-max-bytes", "4096")
    if args.herald:
        post(args.herald, {"topic": "memidem", "data": PAYLOAD}, {"Idempotency-Key": "bench-key-0001"})
    idem = [k for k in cli(args.port, "keys", "herald:{memidem}:idem:*").split("\n") if k]
    results["idempotencyKey"] = int(cli(args.port, "memory", "usage", idem[0], "samples", "0")) if idem else None
    log("memory: idempotency key %s B" % results["idempotencyKey"])

    channels = ["herald:{chan%d}:live" % i for i in range(100000)]
    base = used_memory(args.port)
    first = Subscriber(args.port, channels)
    time.sleep(1)
    one = used_memory(args.port)
    second = Subscriber(args.port, channels)
    time.sleep(1)
    two = used_memory(args.port)
    first.close()
    second.close()
    time.sleep(1)
    results["channels"] = {"count": len(channels), "usedMemoryBefore": base, "oneConnection": one, "twoConnections": two,
                           "afterClose": used_memory(args.port), "perChannelFirst": (one - base) / len(channels),
                           "perChannelSecond": (two - one) / len(channels)}
    log("memory: %(count)d channels: %(perChannelFirst).0f B each for the first connection, "
        "%(perChannelSecond).0f B each for a second; %(afterClose)d B after both closed (before: %(usedMemoryBefore)d)"
        % results["channels"])
    return results


def fanout(args):
    channel = "herald:{fan}:live"
    results = []
    for subscribers in (0, 1, 4, 16):
        listeners = [Subscriber(args.port, [channel]) for _ in range(subscribers)]
        cpu, seconds = benchmark(args.port, args.pid, ["SPUBLISH", channel, PAYLOAD], 200000, 8, 1)
        calls, usec, per_call = commandstat(args.port, "spublish")
        time.sleep(0.5)
        row = {"subscribers": subscribers, "calls": calls, "seconds": seconds, "usecPerCall": per_call,
               "processCPUUsecPerCall": 1e6 * cpu / calls, "callsPerSecond": calls / seconds,
               "received": [l.received for l in listeners], "load": open("/proc/loadavg").read().split()[:3]}
        for listener in listeners:
            listener.close()
        results.append(row)
        log("fanout: %(subscribers)d subscribed connection(s): SPUBLISH %(usecPerCall).2f µs/call (command), "
            "%(processCPUUsecPerCall).2f µs/call (process), %(callsPerSecond).0f calls/s" % row)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--herald", help="a herald node on the cluster (without it: no per-topic memory, and the script is loaded here)")
    parser.add_argument("--out")
    parser.add_argument("measures", nargs="*", default=["ceiling", "memory", "fanout"])
    args = parser.parse_args()
    if args.herald and not args.herald.startswith("http://127.0.0.1:"):
        sys.exit("--herald must be http://127.0.0.1:PORT")
    measures = {"ceiling": ceiling, "memory": memory, "fanout": fanout}
    results = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "loadBefore": open("/proc/loadavg").read().split()[:3]}
    for name in args.measures:
        results[name] = measures[name](args)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
