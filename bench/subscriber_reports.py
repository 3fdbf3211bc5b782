#!/usr/bin/env python3
"""What the subscriber reports of GET /topics/{topic} cost Redis with many topics on one node.

Starts redis-server and one `herald serve` (the debug build unless --herald says otherwise), subscribes to
--topics topics over SSE connections of 32 topics each, and measures one window each of:
  idle     nothing changes: one report script call per interval refreshes the expiry;
  churn    every second --churn connections close and reopen on new topics (removals + additions);
  replace  the report hash is deleted, so the next report rewrites all topics at once.
For each, per 2 s interval: report calls and the HSET/HDEL they ran (INFO commandstats counts commands run by
scripts), all EVALSHA calls (in churn these include the history reads of the new streams), bytes Redis received,
Redis CPU (INFO cpu) and herald CPU (/proc). Then one report call of each kind alone, with EVAL, for its Redis
time. Standard library only. Figures go to docs/benchmarks.md.
"""
import argparse, os, random, signal, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True).stdout


def info(port, section):
    values = {}
    for line in redis(port, "INFO", section).splitlines():
        if ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            values[key] = value.strip()
    return values


def command(port, name):
    """(calls, usec) of `name` since the last CONFIG RESETSTAT; commands a script runs are counted too."""
    stats = info(port, "commandstats").get(f"cmdstat_{name}", "calls=0,usec=0")
    fields = dict(part.split("=") for part in stats.split(",") if part.split("=")[0] in ("calls", "usec"))
    return int(fields["calls"]), int(fields["usec"])


def report_script():
    source = open(os.path.join(ROOT, "Sources/HeraldRedis/RedisBroker+Scripts.swift")).read()
    body = source.split('static let report = """', 1)[1].split('"""', 1)[0]
    return "\n".join(line[8:] if line.startswith("        ") else line for line in body.strip("\n").split("\n"))


def synthetic(port, name, removed, counts):
    """One report call with EVAL (counted apart from the node's EVALSHA) for a fake node."""
    arguments = ["2", "cost:{nodes}:directory", "cost:{nodes}:subscribers:synthetic", "synthetic", "6000",
                 "replace" if name == "replace" else "update", str(len(removed)), *removed]
    for topic, count in counts:
        arguments += [topic, str(count)]
    redis(port, "CONFIG", "RESETSTAT")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(report_script())
        script.flush()
        subprocess.run(["redis-cli", "-p", str(port), "--eval", script.name, arguments[1], arguments[2], ",", *arguments[3:]],
                       capture_output=True, text=True, check=True)
    calls, usec = command(port, "eval")
    size = sum(len(argument) for argument in arguments) + 12 * len(arguments)
    print(f"synthetic {name:28} Redis µs {usec:7d}  request ≈ {size:8d} bytes")


def redis_cpu(port):
    cpu = info(port, "cpu")
    return float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"])


def process_cpu(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def subscribe(port, topics):
    query = "&".join("topic=" + topic for topic in topics)
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(f"GET /events?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(4096)
        if not chunk:
            raise SystemExit("stream refused")
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(head[:200])
    connection.setblocking(False)
    return connection


def drain(connections):
    for connection in connections:
        try:
            while connection.recv(65536):
                pass
        except BlockingIOError:
            pass


def window(name, redis_port, herald_pid, seconds, during=lambda: None):
    redis(redis_port, "CONFIG", "RESETSTAT")
    net0 = int(info(redis_port, "stats")["total_net_input_bytes"])
    rcpu0, hcpu0, start = redis_cpu(redis_port), process_cpu(herald_pid), time.time()
    while time.time() - start < seconds:
        during()
        time.sleep(1)
    elapsed = time.time() - start
    reports = command(redis_port, "zadd")[0]  # only the report script runs ZADD
    scripts = command(redis_port, "evalsha")
    hset, hdel = command(redis_port, "hset"), command(redis_port, "hdel")
    net = int(info(redis_port, "stats")["total_net_input_bytes"]) - net0
    rcpu, hcpu = redis_cpu(redis_port) - rcpu0, process_cpu(herald_pid) - hcpu0
    intervals = elapsed / 2
    print(f"{name:8} {elapsed:5.1f}s per 2 s interval: reports {reports / intervals:5.2f}, HSET/HDEL calls in them {(hset[0] + hdel[0]) / intervals:6.1f} "
          f"({(hset[1] + hdel[1]) / intervals:7.0f} µs); all EVALSHA {scripts[0] / intervals:6.1f} ({scripts[1] / intervals:7.0f} µs); "
          f"bytes in {net / intervals:8.0f}; Redis CPU {1000 * rcpu / elapsed:5.1f} ms/s; herald CPU {1000 * hcpu / elapsed:6.1f} ms/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--churn", type=int, default=16, help="connections (32 topics each) replaced per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--herald", default=os.path.join(ROOT, ".build/debug/herald"))
    options = parser.parse_args()
    redis_port, herald_port = free_port(), free_port()
    directory = tempfile.mkdtemp(prefix="herald-reports-")
    redis_server = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                    stdout=open(os.path.join(directory, "redis.log"), "w"))
    herald = None
    try:
        time.sleep(0.5)
        herald = subprocess.Popen([options.herald, "serve", "--host", "127.0.0.1", "--port", str(herald_port), "--redis-url", f"redis://127.0.0.1:{redis_port}",
                                   "--key-prefix", "cost", "--log-level", "warning"], stderr=open(os.path.join(directory, "herald.log"), "w"))
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", herald_port)).close()
                break
            except OSError:
                time.sleep(0.1)
        generation = [0]

        def names(count):
            generation[0] += 1
            return [f"t{generation[0]}-{index}" for index in range(count)]

        connections = [subscribe(herald_port, names(32)) for _ in range((options.topics + 31) // 32)]
        deadline = time.time() + 60
        while True:
            report = [key for key in redis(redis_port, "KEYS", "cost:{nodes}:subscribers:*").split()]
            if report and int(redis(redis_port, "HLEN", report[0])) >= len(connections) * 32 + 1:
                break
            if time.time() > deadline:
                raise SystemExit("the report never held every topic")
            drain(connections)
            time.sleep(0.5)
        print(f"{len(connections) * 32} topics on {len(connections)} connections; report {report[0]}, "
              f"{redis(redis_port, 'MEMORY', 'USAGE', report[0]).strip()} bytes in Redis")
        window("idle", redis_port, herald.pid, options.seconds, lambda: drain(connections))

        def churn():
            drain(connections)
            for _ in range(options.churn):
                index = random.randrange(len(connections))
                connections[index].close()
                connections[index] = subscribe(herald_port, names(32))

        window("churn", redis_port, herald.pid, options.seconds, churn)
        window("idle", redis_port, herald.pid, 4, lambda: drain(connections))

        def replace():
            if not replaced[0]:
                redis(redis_port, "DEL", report[0])
                replaced[0] = True
            drain(connections)

        replaced = [False]
        window("replace", redis_port, herald.pid, 4, replace)
        topics = [f"synthetic-{index}" for index in range(options.topics)]
        synthetic(redis_port, "replace", [], [(topic, 1) for topic in topics])
        synthetic(redis_port, "update, nothing changed", [], [])
        synthetic(redis_port, "update, 1,000 removed + added", topics[:1000], [(f"fresh-{index}", 1) for index in range(1000)])
    finally:
        if herald:
            herald.send_signal(signal.SIGKILL)
            herald.wait()
        redis_server.send_signal(signal.SIGKILL)
        redis_server.wait()


if __name__ == "__main__":
    sys.exit(main())
