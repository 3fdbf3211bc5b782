#!/usr/bin/env python3
"""Publishes events to Herald with the Python standard library only.

    python3 publish.py --topic orders/42 --data '{"status":"paid"}' [--event order.updated]
    printf '%s\n' '{"topic":"t","data":1}' '{"topic":"t","data":2}' | python3 publish.py --stdin

Each call prints the event ids, one a line. --stdin reads one JSON event a line and sends them in batches of
100. Every request carries an Idempotency-Key, so the retries on 503 (node draining, Redis briefly away)
store each event once. HERALD_URL picks the node (default http://127.0.0.1:8080); HERALD_TOKEN, when set,
is sent as the bearer credential.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

SERVER = os.environ.get("HERALD_URL", "http://127.0.0.1:8080").rstrip("/")
TOKEN = os.environ.get("HERALD_TOKEN")
BATCH = 100


def publish(body, idempotency_key, attempts=5):
    """POSTs one event (a dict) or a batch (a list); returns the ids; retries 503 with its Retry-After."""
    headers = {"content-type": "application/json", "idempotency-key": idempotency_key}
    if TOKEN:
        headers["authorization"] = "Bearer " + TOKEN
    request = urllib.request.Request(SERVER + "/publish", data=json.dumps(body).encode(), headers=headers)
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                reply = json.load(response)
                return reply["ids"] if "ids" in reply else [reply["id"]]
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            if error.code == 503 and attempt + 1 < attempts:
                time.sleep(float(error.headers.get("retry-after", "1")))
                continue
            try:
                message = json.loads(text)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = text
            sys.exit("herald refused the event (%d): %s" % (error.code, message))
    sys.exit("herald stayed unavailable after %d attempts" % attempts)


def main():
    parser = argparse.ArgumentParser(description="Publish events to Herald.")
    parser.add_argument("--topic")
    parser.add_argument("--data", help="a JSON value, or plain text when it is not JSON")
    parser.add_argument("--event", help="the SSE event name (default: message)")
    parser.add_argument("--stdin", action="store_true", help="read one JSON event a line from stdin")
    arguments = parser.parse_args()
    if arguments.stdin:
        events = [json.loads(line) for line in sys.stdin if line.strip()]
        key = str(uuid.uuid4())
        for start in range(0, len(events), BATCH):
            for event_id in publish(events[start:start + BATCH], "%s:%d" % (key, start)):
                print(event_id)
        return
    if not arguments.topic or arguments.data is None:
        parser.error("give --topic and --data, or --stdin")
    try:
        data = json.loads(arguments.data)
    except ValueError:
        data = arguments.data
    event = {"topic": arguments.topic, "data": data}
    if arguments.event:
        event["event"] = arguments.event
    for event_id in publish(event, str(uuid.uuid4())):
        print(event_id)


if __name__ == "__main__":
    main()
