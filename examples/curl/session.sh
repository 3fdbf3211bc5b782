#!/usr/bin/env bash
# The README's curl session as a script: subscribe, publish, miss events while away, resume exactly.
#   examples/curl/session.sh            # against HERALD_URL (default http://127.0.0.1:8080)
# Prints what the subscriber saw; exits non-zero if the resumed stream is not exactly the missed events.
set -euo pipefail
server=${HERALD_URL:-http://127.0.0.1:8080}
topic=${TOPIC:-examples/curl-$$}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

publish() { # topic, JSON data → prints the reply
  curl -sS --fail-with-body -X POST "$server/publish" -H 'content-type: application/json' \
       -d "{\"topic\":\"$1\",\"data\":$2}"
}

# 1. subscribe in the background; -N: print each event as it arrives
curl -sS -N "$server/events?topic=$topic" > "$work/first" &
# why: the stream is live once its response began; wait for its `retry:` line rather than for a fixed time.
for _ in $(seq 50); do grep -q '^retry:' "$work/first" 2>/dev/null && break; sleep 0.1; done

# 2. publish: a JSON event, then a form-encoded one
publish "$topic" '{"status":"paid"}'
curl -sS --fail-with-body -X POST "$server/publish" -d "topic=$topic&data=shipped"
for _ in $(seq 50); do grep -q '^data: shipped' "$work/first" && break; sleep 0.1; done
kill %1
echo "--- the subscriber saw:"; cat "$work/first"
last_id=$(grep '^id: ' "$work/first" | tail -n 1 | cut -c5-)

# 3. publish while nobody listens (a JSON string arrives as its text), then resume from the last id seen
publish "$topic" '"a"'
publish "$topic" '"b"'
# why: --max-time ends the stream after the replay; curl then exits 28, which is expected here.
curl -sS -N --max-time 2 -H "Last-Event-ID: $last_id" "$server/events?topic=$topic" > "$work/resumed" 2>/dev/null || true
echo "--- resumed from $last_id:"; cat "$work/resumed"
[ "$(grep '^data: ' "$work/resumed" | tr '\n' ' ')" = 'data: a data: b ' ] || { echo "resume was not exact" >&2; exit 1; }
echo "--- exactly the two missed events, in order"
