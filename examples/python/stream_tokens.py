#!/usr/bin/env python3
"""Streams a language model's answer to Herald token by token, in one request, with the standard library only.

    python3 stream_tokens.py answers/42 "The answer is forty-two."

A stand-in for a model yields the answer word by word (every 50 ms); each token becomes one line of a single
streaming publish (POST /publish?topic=..., Content-Type: application/x-ndjson, chunked), which Herald stores
and delivers as soon as the line arrives. The stream ends with a `done` event so that the page knows the
answer is complete. The Idempotency-Key makes a retry of the whole stream store each token once. Prints the
answer's summary from Herald: {"count": N, "lastId": ...}. HERALD_URL picks the node (default
http://127.0.0.1:8080); HERALD_TOKEN, when set, is sent as the bearer credential.
"""
import http.client
import json
import os
import sys
import time
import urllib.parse
import uuid

SERVER = urllib.parse.urlsplit(os.environ.get("HERALD_URL", "http://127.0.0.1:8080"))
TOKEN = os.environ.get("HERALD_TOKEN")


def model(answer):
    """Stands in for a language model: yields the answer a word at a time, as generation would."""
    for index, word in enumerate(answer.split(" ")):
        time.sleep(0.05)
        yield word if index == 0 else " " + word


def lines(tokens):
    """The body: one JSON line per token, then the `done` event. Each is sent as its own chunk, at once."""
    for token in tokens:
        yield (json.dumps({"data": token}) + "\n").encode()
    yield (json.dumps({"data": "[DONE]", "event": "done"}) + "\n").encode()


def stream(topic, tokens):
    headers = {"content-type": "application/x-ndjson", "idempotency-key": str(uuid.uuid4())}
    if TOKEN:
        headers["authorization"] = "Bearer " + TOKEN
    connection = http.client.HTTPConnection(SERVER.hostname, SERVER.port or 80, timeout=30)
    path = "/publish?topic=" + urllib.parse.quote(topic, safe="")
    connection.request("POST", path, body=lines(tokens), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    reply = json.loads(response.read() or b"{}")
    if response.status != 200:
        sys.exit("herald refused the stream (%d): %s" % (response.status, reply.get("error", {}).get("message")))
    return reply


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: stream_tokens.py TOPIC ANSWER")
    summary = stream(sys.argv[1], model(sys.argv[2]))
    print(json.dumps({"count": summary["count"], "lastId": summary["lastId"]}))
