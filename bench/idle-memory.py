#!/usr/bin/env python3
"""Memory per idle event stream over each transport Herald serves, measured in one run.

Starts `herald serve` once per transport (memory backend, loopback, a throwaway certificate made with openssl),
opens N idle streams (`GET /events`, spread over 100 topics) and reports the growth of the server's RSS per
stream. Transports: plaintext HTTP/1.1, TLS HTTP/1.1, HTTP/2 over TLS with 100 streams per connection, HTTP/2
over TLS with one stream per connection, and h2c (prior knowledge) with 100 streams per connection.

  bench/idle-memory.py                      # every transport, 5,000 streams each, the release build
  bench/idle-memory.py --streams 10000 --binary .build/release/herald --transports h1 h2

Needs Python's `h2` package (pip install h2). Everything listens on 127.0.0.1; every server is stopped by its pid.
"""
import argparse
import asyncio
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import h2.config
import h2.connection
import h2.events

TOPICS = 100
STREAMS_PER_H2_CONNECTION = 100
# why: connections opened at once; more TLS handshakes in flight than this got resets on this box.
BATCH = int(os.environ.get("BATCH", "50"))


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certificate(directory):
    key, cert = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


def client_tls(alpn):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols([alpn])
    return context


async def http1_stream(port, index, tls):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_tls("http/1.1") if tls else None)
    writer.write(f"GET /events?topic=idle-{index % TOPICS} HTTP/1.1\r\nhost: x\r\n\r\n".encode())
    await writer.drain()
    received = b""
    while b"retry:" not in received:
        chunk = await reader.read(4096)
        if not chunk:
            raise RuntimeError("the server closed a stream")
        received += chunk
    return writer


async def http2_connection(port, first, count, tls):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_tls("h2") if tls else None)
    connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    scheme = "https" if tls else "http"
    for offset in range(count):
        stream = connection.get_next_available_stream_id()
        connection.send_headers(stream, [(":method", "GET"), (":scheme", scheme), (":authority", "127.0.0.1"),
                                         (":path", f"/events?topic=idle-{(first + offset) % TOPICS}")], end_stream=True)
    writer.write(connection.data_to_send())
    await writer.drain()
    answered = 0
    while answered < count:
        data = await reader.read(65536)
        if not data:
            raise RuntimeError("the server closed an HTTP/2 connection")
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                answered += 1
            elif isinstance(event, h2.events.DataReceived):
                connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamReset):
                raise RuntimeError(f"stream {event.stream_id} reset")
        writer.write(connection.data_to_send())
    return writer


async def open_streams(transport, port, count):
    """Opens `count` idle streams, 200 at a time; returns what keeps them open."""
    held = []
    batches = []
    if transport in ("h1", "tls"):
        batches = [(lambda i=i: http1_stream(port, i, transport == "tls")) for i in range(count)]
    else:
        per = 1 if transport == "h2-single" else STREAMS_PER_H2_CONNECTION
        tls = transport != "h2c"
        batches = [(lambda first=first: http2_connection(port, first, min(per, count - first), tls)) for first in range(0, count, per)]
    for start in range(0, len(batches), BATCH):
        held += await asyncio.gather(*(make() for make in batches[start:start + BATCH]))
    return held


def measure(binary, transport, streams, directory, cert, key):
    port = free_port()
    arguments = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--heartbeat", "60s", "--access-log", "off"]
    if transport in ("tls", "h2", "h2-single"):
        arguments += ["--tls-cert", cert, "--tls-key", key]
    if transport == "h2c":
        arguments += ["--h2c", "on"]
    if transport == "tls":
        arguments += ["--http2", "off"]
    log = open(os.path.join(directory, f"{transport}.log"), "w")
    server = subprocess.Popen(arguments, stdout=log, stderr=log)
    try:
        deadline = time.time() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

        async def run():
            warm = await open_streams(transport, port, 1 if transport in ("h1", "tls", "h2-single") else STREAMS_PER_H2_CONNECTION)
            await asyncio.sleep(1)
            before = rss_bytes(server.pid)
            held = await open_streams(transport, port, streams)
            await asyncio.sleep(2)
            after = rss_bytes(server.pid)
            for writer in held + warm:
                writer.close()
            return before, after

        try:
            return asyncio.run(run())
        except Exception:
            log.flush()
            with open(log.name) as written:
                sys.stderr.write("".join(written.readlines()[-15:]))
            raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/herald")
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--transports", nargs="+", default=["h1", "tls", "h2", "h2-single", "h2c"])
    options = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    names = {"h1": "HTTP/1.1, plaintext", "tls": "HTTP/1.1 over TLS", "h2": "HTTP/2 over TLS, 100 streams a connection",
             "h2-single": "HTTP/2 over TLS, 1 stream a connection", "h2c": "h2c, 100 streams a connection"}
    with tempfile.TemporaryDirectory() as directory:
        cert, key = make_certificate(directory)
        print(f"| transport | streams | RSS before → after | bytes per idle stream |")
        print(f"|---|---|---|---|")
        for transport in options.transports:
            before, after = measure(options.binary, transport, options.streams, directory, cert, key)
            print(f"| {names[transport]} | {options.streams:,} | {before / 2**20:.1f} → {after / 2**20:.1f} MiB | {(after - before) / options.streams:,.0f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
