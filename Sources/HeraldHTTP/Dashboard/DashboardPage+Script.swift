extension DashboardPage {
    /// The page's script. Everything the server sends is shown with `textContent`, never parsed as HTML.
    ///
    /// The tail resumes exactly after a reload: the events shown and the id of the last one are kept in
    /// `sessionStorage` (this tab only), and the new `EventSource` asks for `lastEventId=<that id>`, so events
    /// published meanwhile come once and those already shown are not sent again. A token, when the node asks
    /// for one, is kept in `sessionStorage` too, never in `localStorage` or a cookie; `fetch` sends it as
    /// `Authorization: Bearer`, `EventSource` (which cannot send headers) as `access_token`.
    static let script = #"""
        "use strict";
        (() => {
          const $ = (id) => document.getElementById(id);
          const none = "\u2014";
          // why: 2 s is live enough to watch, and /stats visits every event loop, so not much more often.
          const refreshInterval = 2000;
          // why: bounds what one tab keeps on screen and in sessionStorage (about 5 MiB per origin).
          const keptEvents = 200;
          const tokenKey = "herald.dashboard.token";
          const topicKey = "herald.dashboard.topic";
          let token = sessionStorage.getItem(tokenKey) || "";
          let source = null;
          let watched = null; // { topic, types, lastId, events }

          const show = (id, value) => {
            $(id).textContent = value === undefined || value === null || value === "" ? none : String(value);
          };
          const withToken = (headers = {}) => (token ? { ...headers, Authorization: "Bearer " + token } : headers);
          const describe = (body, status) =>
            body && body.error ? body.error.message + " (" + body.error.code + ")" : "HTTP " + status;

          async function getJSON(path) {
            const response = await fetch(path, { headers: withToken(), cache: "no-store" });
            if (response.status === 401) askForToken("The node asks for a token for " + path + ".");
            const body = await response.json().catch(() => null);
            return { status: response.status, body };
          }

          function askForToken(reason) {
            $("auth-reason").textContent = reason;
            if ($("auth").hidden) {
              $("auth").hidden = false;
              $("token").focus();
            }
          }

          function uptime(seconds) {
            const s = Math.floor(seconds), d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
            return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
          }

          function fillTable(id, rows, key, format) {
            const body = $(id);
            body.replaceChildren();
            const list = Array.isArray(rows) ? rows : [{ topic: null, [key]: null }];
            if (list.length === 0) list.push({ topic: "no topics yet", [key]: null });
            for (const row of list) {
              const tr = document.createElement("tr");
              const th = document.createElement("th");
              th.scope = "row";
              th.textContent = row.topic ?? none;
              const td = document.createElement("td");
              td.textContent = typeof row[key] === "number" ? format(row[key]) : none;
              tr.append(th, td);
              body.append(tr);
            }
          }

          async function refreshStats() {
            try {
              const [ready, health, stats] = await Promise.all([getJSON("/readyz"), getJSON("/healthz"), getJSON("/stats")]);
              const isReady = ready.status === 200 && ready.body?.status === "ready";
              $("status").dataset.state = isReady ? "ready" : "unready";
              $("status").textContent = isReady ? "ready" : "not ready";
              show("node-status", isReady ? "ready" : describe(ready.body, ready.status));
              const node = stats.body?.node ?? {};
              show("node-backend", node.backend ?? ready.body?.backend);
              show("node-version", node.version);
              show("node-uptime", typeof node.uptimeSeconds === "number" ? uptime(node.uptimeSeconds) : null);
              show("node-streams", node.streams ?? health.body?.streams);
              show("node-topics", node.topics);
              const capacity = stats.body?.capacity;
              show("node-connections", capacity ? capacity.openConnections + " of " + capacity.maxConnections : null);
              fillTable("by-subscribers", stats.body?.busiestTopics?.bySubscribers, "subscribers", String);
              fillTable("by-rate", stats.body?.busiestTopics?.byEventsPerSecond, "eventsPerSecond", (n) => n.toFixed(1));
              if (watched) await refreshSubscribers();
            } catch (error) {
              $("status").dataset.state = "down";
              $("status").textContent = "unreachable";
              show("node-status", "unreachable: " + error.message);
            }
          }

          async function refreshSubscribers() {
            const { status, body } = await getJSON("/topics/" + encodeURIComponent(watched.topic));
            const total = status === 200 && typeof body?.subscribers === "number" ? body.subscribers : null;
            const here = typeof body?.subscribersOnThisNode === "number" ? " (" + body.subscribersOnThisNode + " on this node)" : "";
            show("tail-subscribers", total === null ? null : total + here);
          }

          const storageKey = (topic) => "herald.dashboard.tail:" + topic;

          function save() {
            for (;;) {
              try {
                return sessionStorage.setItem(storageKey(watched.topic), JSON.stringify({ lastId: watched.lastId, events: watched.events }));
              } catch (error) {
                // why: sessionStorage holds about 5 MiB; with large events, keep the newer half until it fits.
                if (watched.events.length === 0) return;
                watched.events.splice(0, Math.ceil(watched.events.length / 2));
              }
            }
          }

          function setTailState(state, label) {
            $("tail").dataset.state = state;
            $("tail-state").dataset.state = state;
            $("tail-state").textContent = label;
          }

          function row(item) {
            const li = document.createElement("li");
            const time = document.createElement("time");
            time.dateTime = new Date(item.at).toISOString();
            time.textContent = new Date(item.at).toLocaleTimeString();
            if (item.notice) {
              li.className = "notice";
              const text = document.createElement("span");
              text.textContent = item.notice;
              li.append(time, text);
              return li;
            }
            const type = document.createElement("span");
            type.className = "type";
            type.textContent = item.type;
            const data = document.createElement("span");
            data.className = "data";
            data.textContent = item.data;
            li.dataset.id = item.id;
            li.append(time, type, data);
            return li;
          }

          function render() {
            const list = $("tail");
            list.replaceChildren(...watched.events.map(row).reverse());
            if (watched.events.length === 0) {
              const empty = document.createElement("li");
              empty.className = "empty";
              empty.textContent = "No events yet. Publish one below.";
              list.append(empty);
            }
          }

          function append(item) {
            watched.events.push(item);
            if (watched.events.length > keptEvents) watched.events.shift();
            if (item.id) watched.lastId = item.id;
            save();
            // why: only the new row is added, so that a screen reader announces it alone (aria-live).
            const list = $("tail");
            list.querySelector(".empty")?.remove();
            list.prepend(row(item));
            while (list.children.length > keptEvents) list.lastElementChild.remove();
          }

          function listen(type) {
            if (!source || type === "message") return;
            source.addEventListener(type, (event) => append({ id: event.lastEventId, type, data: event.data, at: Date.now() }));
          }

          function connect() {
            if (source) source.close();
            const query = new URLSearchParams({ topic: watched.topic });
            if (watched.lastId) query.set("lastEventId", watched.lastId);
            if (token) query.set("access_token", token);
            setTailState("connecting", "connecting to " + watched.topic + "…");
            source = new EventSource("/events?" + query);
            source.onopen = () => setTailState("live", "live: " + watched.topic);
            source.onmessage = (event) => append({ id: event.lastEventId, type: "message", data: event.data, at: Date.now() });
            source.onerror = () => {
              if (source.readyState !== EventSource.CLOSED) return setTailState("reconnecting", "reconnecting…");
              setTailState("closed", "closed: the node refused the stream");
              if (!token) askForToken("The stream was refused; the topic may need a token.");
            };
            source.addEventListener("herald.reset", (event) => {
              const topics = JSON.parse(event.data).topics ?? [];
              const reasons = topics.map((t) => t.topic + ": " + t.reason).join(", ");
              append({ notice: "gap: some events are gone (" + reasons + ")", at: Date.now() });
            });
            source.addEventListener("herald.unavailable", (event) => {
              const notice = JSON.parse(event.data);
              setTailState("reconnecting", "reconnecting: " + notice.message);
            });
            source.addEventListener("herald.token-expired", () => {
              source.close();
              setTailState("closed", "closed: the token expired");
              askForToken("The token expired; enter a new one to resume.");
            });
            for (const type of watched.types) listen(type);
          }

          function watch(topic, types) {
            const saved = JSON.parse(sessionStorage.getItem(storageKey(topic)) || "null") ?? { lastId: null, events: [] };
            watched = { topic, types: new Set(types), lastId: saved.lastId, events: saved.events };
            sessionStorage.setItem(topicKey, topic);
            const query = new URLSearchParams({ topic });
            if (types.length) query.set("types", types.join(","));
            history.replaceState(null, "", "?" + query);
            $("watch-topic").value = topic;
            $("watch-types").value = types.join(",");
            if (!$("publish-topic").value) $("publish-topic").value = topic;
            show("tail-subscribers", null);
            render();
            connect();
            refreshSubscribers().catch(() => {});
          }

          const splitTypes = (text) => text.split(",").map((t) => t.trim()).filter((t) => t && t !== "message");

          $("watch").addEventListener("submit", (event) => {
            event.preventDefault();
            watch($("watch-topic").value.trim(), splitTypes($("watch-types").value));
          });

          $("tail-clear").addEventListener("click", () => {
            if (!watched) return;
            watched.events = [];
            save();
            render();
          });

          $("publish").addEventListener("submit", async (event) => {
            event.preventDefault();
            const result = $("publish-result");
            const body = { topic: $("publish-topic").value.trim(), data: $("publish-data").value };
            const type = $("publish-event").value.trim();
            if (type) body.event = type;
            if (type && watched && body.topic === watched.topic && !watched.types.has(type) && type !== "message") {
              watched.types.add(type);
              listen(type);
            }
            try {
              const response = await fetch("/publish", {
                method: "POST",
                headers: withToken({ "Content-Type": "application/json" }),
                body: JSON.stringify(body),
              });
              const reply = await response.json().catch(() => null);
              if (response.status === 401) askForToken("Publishing needs a token.");
              result.className = response.ok ? "" : "error";
              result.textContent = response.ok ? "published: " + reply?.id : describe(reply, response.status);
            } catch (error) {
              result.className = "error";
              result.textContent = "not published: " + error.message;
            }
          });

          $("auth").addEventListener("submit", (event) => {
            event.preventDefault();
            token = $("token").value.trim();
            $("token").value = "";
            if (token) sessionStorage.setItem(tokenKey, token);
            $("auth").hidden = true;
            if (watched) connect();
            refreshStats();
          });

          $("token-forget").addEventListener("click", () => {
            token = "";
            sessionStorage.removeItem(tokenKey);
            $("token").value = "";
            $("auth").hidden = true;
          });

          $("token-button").addEventListener("click", () => askForToken(token ? "A token is in use in this tab." : "No token in use."));

          const params = new URLSearchParams(location.search);
          const initialTopic = params.get("topic") || sessionStorage.getItem(topicKey);
          if (initialTopic) watch(initialTopic, splitTypes(params.get("types") || ""));
          refreshStats();
          setInterval(refreshStats, refreshInterval);
        })();
        """#
}
