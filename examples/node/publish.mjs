#!/usr/bin/env node
// Publishes events to Herald from Node.js 18+ with its built-in fetch, no packages.
//
//   node publish.mjs orders/42 '{"status":"paid"}' [order.updated]
//
// Prints the event's id. The request carries an Idempotency-Key, so the retries on 503 (node draining, Redis
// briefly away) store the event once. HERALD_URL picks the node (default http://127.0.0.1:8080);
// HERALD_TOKEN, when set, is sent as the bearer credential.
import { randomUUID } from "node:crypto";

const server = (process.env.HERALD_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");

export async function publish(event, { attempts = 5 } = {}) {
  const headers = { "content-type": "application/json", "idempotency-key": randomUUID() };
  if (process.env.HERALD_TOKEN) headers.authorization = "Bearer " + process.env.HERALD_TOKEN;
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(server + "/publish", { method: "POST", headers, body: JSON.stringify(event) });
    const reply = await response.json().catch(() => ({}));
    if (response.ok) return reply.ids ?? [reply.id];
    if (response.status === 503 && attempt < attempts) {
      const seconds = Number(response.headers.get("retry-after") ?? "1");
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    throw new Error(`herald refused the event (${response.status}): ${reply.error?.message ?? "no message"}`);
  }
}

const [topic, text, name] = process.argv.slice(2);
if (!topic || text === undefined) {
  console.error("usage: node publish.mjs <topic> <data> [event]");
  process.exit(2);
}
let data;
try {
  data = JSON.parse(text);
} catch {
  data = text;
}
try {
  const ids = await publish({ topic, data, ...(name ? { event: name } : {}) });
  console.log(ids.join("\n"));
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
