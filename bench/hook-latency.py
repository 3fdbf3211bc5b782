#!/usr/bin/env python3
"""What the subscribe hook adds to opening a stream: time from sending `GET /events` to the response head,
for a public topic (no hook asked), a private topic whose answer is cached, and one asked anew each time.

    bench/hook-latency.py --herald .build/release/herald [--opens 500]

Starts a minimal hook (Python's http.server, answering 200 {} at once, so the figures are Herald's and the
loopback round trip, not an application's) and a herald node on free loopback ports, opens each kind of stream
`--opens` times one after another (each on a new connection, closed once its head arrived), and prints p50,
p90 and p99 per kind. Everything is stopped on exit.
"""
import argparse
import http.client
import http.server
import json
import socket
import statistics
import subprocess
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    calls = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        Hook.calls += 1
        # why: the whole answer in one write: headers and body written apart meet Nagle's algorithm and the
        # peer's delayed ACK, and every answer then waits 40 ms (the hook's cost, not Herald's).
        self.wfile.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
        self.wfile.flush()

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass


def head_time(port, path, headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    connection.request("GET", path, headers={"accept": "text/event-stream", **headers})
    response = connection.getresponse()
    elapsed = time.perf_counter() - started
    status = response.status
    connection.close()
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}")
    return elapsed * 1000


def percentiles(samples):
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "mean": statistics.mean(ordered)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--herald", default=".build/release/herald")
    parser.add_argument("--opens", type=int, default=500)
    arguments = parser.parse_args()
    hook_port, port = free_port(), free_port()
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    node = subprocess.Popen([arguments.herald, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "error",
                             "--access-log", "off", "--public-topics", "news/*",
                             "--subscribe-auth-url", f"http://127.0.0.1:{hook_port}/auth"])
    try:
        for _ in range(100):
            try:
                if http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/readyz") is None:
                    break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        kinds = {
            "public topic (no hook)": lambda i: head_time(port, f"/events?topic=news/{i}", {}),
            "hook, cached answer": lambda i: head_time(port, "/events?topic=room/1", {"cookie": "session=same"}),
            "hook, asked each time": lambda i: head_time(port, "/events?topic=room/1", {"cookie": f"session={i}"}),
        }
        results = {}
        for name, open_stream in kinds.items():
            for i in range(50):  # warm-up
                open_stream(f"w{i}")
            calls_before = Hook.calls
            results[name] = percentiles([open_stream(i) for i in range(arguments.opens)])
            results[name]["hook calls"] = Hook.calls - calls_before
        print(json.dumps(results, indent=1))
        base = results["public topic (no hook)"]["p50"]
        for name, figures in results.items():
            print(f"{name:24} p50 {figures['p50']:.3f} ms  p90 {figures['p90']:.3f}  p99 {figures['p99']:.3f}"
                  f"  (+{figures['p50'] - base:.3f} ms at p50)  hook calls {figures['hook calls']}")
    finally:
        node.terminate()
        node.wait(10)
        hook.shutdown()


if __name__ == "__main__":
    main()
