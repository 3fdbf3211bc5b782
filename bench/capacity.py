#!/usr/bin/env python3
"""Clients that keep arriving past a node's limit, and the node's CPU meanwhile (bench/run.sh, `capacity`).

Each of --clients behaves like a browser's EventSource: it opens GET /events?topic=capacity and reads. A 200
event stream that stays open is a held stream. A stream that ends (a retry stream: `retry:` and
`herald.unavailable`, then the end) or a connection that fails makes the client wait the last `retry:` (3 s
before any) and come back, as a browser does; a non-200 answer is counted and retried the same way (a browser
would give up for good). A client that connected but got no answer is *hung*: it waits in the node's backlog.
Clients start at --ramp per second. Once all have started, --warmup seconds pass, then the node's CPU
(utime + stime of --server-pid from /proc) is measured over --duration seconds, and a JSON report printed.

Loopback only; every socket is closed at the end; the run is bounded by --warmup + --duration + ramp time.
"""
import argparse
import json
import os
import selectors
import socket
import sys
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Client:
    def __init__(self, index):
        self.index = index
        self.sock = None
        self.buffer = b""
        self.retry_ms = 3000
        self.state = "idle"  # idle | waiting (to reconnect) | connecting | sent | streaming
        self.wake_at = 0.0
        self.connected_at = 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1200)
    parser.add_argument("--ramp", type=int, default=400, help="clients started per second")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--duration", type=float, default=10)
    args = parser.parse_args()

    selector = selectors.DefaultSelector()
    clients = [Client(i) for i in range(args.clients)]
    counts = {"refusals": 0, "refusalsInWindow": 0, "non200": 0, "connectErrors": 0, "streamEnds": 0}
    request = b"GET /events?topic=capacity HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    in_window = False

    def connect(client, now):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", args.port))
        client.sock, client.buffer, client.state, client.connected_at = sock, b"", "connecting", now
        selector.register(sock, selectors.EVENT_WRITE, client)

    def drop(client, now, refused):
        if client.sock is not None:
            selector.unregister(client.sock)
            client.sock.close()
            client.sock = None
        if refused:
            counts["refusals"] += 1
            if in_window:
                counts["refusalsInWindow"] += 1
        client.state = "waiting"
        client.wake_at = now + client.retry_ms / 1000

    def read_fields(client):
        for line in client.buffer.split(b"\n"):
            if line.startswith(b"retry:"):
                try:
                    client.retry_ms = int(line[6:].strip())
                except ValueError:
                    pass

    start = time.monotonic()
    started = 0
    window_start = window_end = None
    cpu_start = cpu_end = None
    while True:
        now = time.monotonic()
        target = min(args.clients, int((now - start) * args.ramp) + 1)
        while started < target:
            connect(clients[started], now)
            started += 1
        if started == args.clients and window_start is None:
            window_start = now + args.warmup
            window_end = window_start + args.duration
        if window_start is not None and cpu_start is None and now >= window_start:
            cpu_start, in_window = (now, cpu_seconds(args.server_pid)), True
        if window_end is not None and now >= window_end:
            cpu_end = (now, cpu_seconds(args.server_pid))
            break
        for client in clients[:started]:
            if client.state == "waiting" and now >= client.wake_at:
                connect(client, now)
        for key, _ in selector.select(timeout=0.05):
            client = key.data
            sock = client.sock
            if client.state == "connecting":
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    counts["connectErrors"] += 1
                    drop(client, now, refused=False)
                    continue
                sock.send(request)
                client.state = "sent"
                selector.modify(sock, selectors.EVENT_READ, client)
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                read_fields(client)
                refused = b"herald.unavailable" in client.buffer
                if client.state == "streaming" and not refused:
                    counts["streamEnds"] += 1
                drop(client, now, refused=refused)
                continue
            client.buffer += data
            if client.state == "sent" and b"\r\n\r\n" in client.buffer:
                status = client.buffer.split(b" ", 2)[1] if client.buffer.startswith(b"HTTP/") else b"?"
                if status != b"200":
                    counts["non200"] += 1
                    drop(client, now, refused=False)
                    continue
                client.state = "streaming"
            if len(client.buffer) > 4096 and b"herald.unavailable" not in client.buffer:
                read_fields(client)
                client.buffer = client.buffer[-64:]  # a held stream: keep only the tail (heartbeats)

    now = time.monotonic()
    held = sum(1 for c in clients if c.state == "streaming" and b"herald.unavailable" not in c.buffer)
    hung = sum(1 for c in clients if c.state in ("connecting", "sent") and now - c.connected_at > 1)
    for client in clients:
        if client.sock is not None:
            client.sock.close()
    seconds = cpu_end[0] - cpu_start[0]
    report = {
        "loadAverage": open("/proc/loadavg").read().split()[:3],
        "clients": args.clients,
        "windowSeconds": round(seconds, 2),
        "serverCpuPercentOfOneCore": round(100 * (cpu_end[1] - cpu_start[1]) / seconds, 1),
        "heldStreams": held,
        "hungClients": hung,
        "refusalsPerSecond": round(counts["refusalsInWindow"] / seconds, 1),
        **counts,
    }
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    main()
