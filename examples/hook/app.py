"""A Herald subscribe hook in Flask: the application's own session decides who reads which topics.

Run it beside Herald (pip install flask==3.1.3):

    python3 examples/hook/app.py --port 3000
    herald serve --subscribe-auth-url http://127.0.0.1:3000/herald/auth

A page of this application opens `new EventSource("https://events.example.com/events?topic=user/alice",
{withCredentials: true})`; the browser sends the application's session cookie, Herald forwards it here, and
Flask's ordinary session handling reads it. The answer:

- 401 when there is no session (Herald answers 401 unauthorized);
- 200 with the requested topics this user may read: their own `user/<name>` and the rooms they joined (Herald
  refuses the others 403, naming them), `user` for Herald's logs, and `expires_in`, after which the stream
  ends with `herald.token-expired` and the browser reconnects (asking again);
- `Cache-Control: max-age=30`: Herald reuses the answer for the same cookie and topics for 30 s.
"""
import argparse

from flask import Flask, jsonify, request, session

app = Flask(__name__)
app.secret_key = "example-only-use-a-real-secret"  # signs the session cookie

# The application's own data: who is in which room.
ROOMS = {"alice": {"room/1", "room/2"}, "bob": {"room/2"}}


@app.post("/login")
def login():
    """A stand-in for the application's real login: any known name logs in."""
    name = request.form.get("user", "")
    if name not in ROOMS:
        return jsonify(message="unknown user"), 403
    session["user"] = name
    return jsonify(user=name)


@app.post("/herald/auth")
def herald_auth():
    """Herald's question: {"action": "subscribe", "topics": [...], "resuming": bool, "client_address": ...}."""
    user = session.get("user")
    if user is None:
        return jsonify(message="not logged in"), 401
    question = request.get_json(force=True)
    readable = {f"user/{user}"} | ROOMS[user]
    allowed = [topic for topic in question.get("topics", []) if topic in readable]
    answer = jsonify(topics=allowed, user=user, expires_in=3600)
    answer.headers["Cache-Control"] = "max-age=30"
    return answer


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3000)
    arguments = parser.parse_args()
    app.run(host="127.0.0.1", port=arguments.port)
