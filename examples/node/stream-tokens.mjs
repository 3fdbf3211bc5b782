#!/usr/bin/env node
// Streams a language model's answer to Herald token by token, in one request, from Node.js 18+ with no packages.
//
//   node stream-tokens.mjs answers/42 "The answer is forty-two."
//
// A stand-in for a model yields the answer word by word (every 50 ms); each token becomes one line of a single
// streaming publish (POST /publish?topic=…, Content-Type: application/x-ndjson), sent as it is produced;
// Herald stores and delivers each line as soon as it arrives. The stream ends with a `done` event. Prints
// Herald's summary {"count":N,"lastId":…}. HERALD_URL picks the node (default http://127.0.0.1:8080);
// HERALD_TOKEN, when set, is sent as the bearer credential.
import { randomUUID } from "node:crypto";

const server = (process.env.HERALD_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");

async function* model(answer) {
  // Stands in for a language model: the answer a word at a time, as generation would yield it.
  for (const [index, word] of answer.split(" ").entries()) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    yield index === 0 ? word : " " + word;
  }
}

export async function streamTokens(topic, tokens) {
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    async start(controller) {
      for await (const token of tokens) controller.enqueue(encoder.encode(JSON.stringify({ data: token }) + "\n"));
      controller.enqueue(encoder.encode(JSON.stringify({ data: "[DONE]", event: "done" }) + "\n"));
      controller.close();
    },
  });
  const headers = { "content-type": "application/x-ndjson", "idempotency-key": randomUUID() };
  if (process.env.HERALD_TOKEN) headers.authorization = "Bearer " + process.env.HERALD_TOKEN;
  // `duplex: "half"` lets fetch send a body that is still being produced.
  const response = await fetch(`${server}/publish?topic=${encodeURIComponent(topic)}`, { method: "POST", headers, body, duplex: "half" });
  const reply = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`herald refused the stream (${response.status}): ${reply.error?.message ?? "no message"}`);
  return reply;
}

const [topic, answer] = process.argv.slice(2);
if (!topic || answer === undefined) {
  console.error("usage: node stream-tokens.mjs TOPIC ANSWER");
  process.exit(2);
}
try {
  const { count, lastId } = await streamTokens(topic, model(answer));
  console.log(JSON.stringify({ count, lastId }));
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
