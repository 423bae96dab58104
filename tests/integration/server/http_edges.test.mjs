// The HTTP edges of `bitnet serve` that clients and proxies run into: a refused request leaves its
// kept-alive connection usable, bodies are bounded whatever their transfer encoding, the key
// guards every non-public route, the queue counts only requests that wait, log-probabilities
// spell exactly the reply text, and a non-streaming client that leaves cancels its request.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import net from "node:net";
import OpenAI from "openai";
import { metrics, post, sleep, sse, startServer } from "./harness.mjs";

// Sends raw bytes on one connection and collects what comes back until `responses` HTTP
// responses arrived (or the server closed). Returns { text, closed }.
function rawExchange(port, chunks, responses = 1, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => { sock.destroy(); resolve({ text, closed: false }); }, timeoutMs);
    const complete = () => {
      const parts = text.split(/(?=HTTP\/1\.1 \d{3})/);
      if (parts.length < responses) return false;
      const last = parts[responses - 1];
      const m = last.match(/Content-Length: (\d+)\r\n/i);
      const head = last.indexOf("\r\n\r\n");
      return m && head >= 0 && Buffer.byteLength(last.slice(head + 4)) >= Number(m[1]);
    };
    sock.on("data", (d) => {
      text += d.toString();
      if (complete()) { clearTimeout(timer); sock.destroy(); resolve({ text, closed: false }); }
    });
    sock.on("end", () => { clearTimeout(timer); resolve({ text, closed: true }); });
    sock.on("error", reject);
    sock.on("connect", async () => {
      for (const c of chunks) { sock.write(c); await sleep(30); }
    });
  });
}

const statusLines = (text) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
const hello = [{ role: "user", content: "Hello there, how are you?" }];

describe("API key on a kept-alive connection", () => {
  let keyed;
  before(async () => { keyed = await startServer(["--api-key", "k3y", "-np", 1, "-c", 512, "--metrics"]); });
  after(async () => { if (keyed) await keyed.stop(); });

  test("a 401 reads the whole body: the next request on the connection is answered normally", async () => {
    // A body larger than one read, sent in pieces, as a long chat history would be.
    const body = JSON.stringify({ messages: [{ role: "user", content: "x".repeat(20000) }] });
    const first = `POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n` +
                  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const second = "GET /health HTTP/1.1\r\nHost: t\r\n\r\n";
    const r = await rawExchange(keyed.port, [first, body.slice(0, 7000), body.slice(7000), second], 2);
    assert.deepEqual(statusLines(r.text), [401, 200], r.text.slice(0, 600));
    assert.match(r.text, /"status":"ok"/);
  });

  test("every non-public route needs the key; /health, /v1/models and / do not", async () => {
    assert.equal((await post(keyed.url + "/v1/completions", { prompt: "a", max_tokens: 1 })).status, 401);
    assert.equal((await post(keyed.url + "/tokenize", { content: "a" })).status, 401);
    assert.equal((await post(keyed.url + "/detokenize", { tokens: [1] })).status, 401);
    const m = await fetch(keyed.url + "/metrics");
    assert.equal(m.status, 401);
    assert.equal((await m.json()).error.type, "authentication_error");
    const ok = await fetch(keyed.url + "/metrics", { headers: { Authorization: "Bearer k3y" } });
    assert.equal(ok.status, 200);
    assert.equal((await post(keyed.url + "/tokenize", { content: "a" }, { "X-Api-Key": "k3y" })).status, 200);
    for (const path of ["/health", "/v1/models", "/"]) assert.equal((await fetch(keyed.url + path)).status, 200, path);
  });
});

describe("requests and replies", () => {
  let server;
  let client;
  before(async () => {
    server = await startServer(["-np", 2, "-c", 1024, "--metrics", "--max-body", 65536, "--max-queue", 0]);
    client = new OpenAI({ baseURL: server.url + "/v1", apiKey: "unused", maxRetries: 0 });
  });
  after(async () => { if (server) assert.equal(await server.stop("SIGTERM"), 0); });

  test("a chunked body over the limit → 413 envelope, and the connection is closed", async () => {
    const head = "POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" +
                 "Transfer-Encoding: chunked\r\n\r\n";
    const piece = "x".repeat(30000);
    const chunk = `${(30000).toString(16)}\r\n${piece}\r\n`;
    const r = await rawExchange(server.port, [head, chunk, chunk, chunk, "0\r\n\r\n"]);
    assert.deepEqual(statusLines(r.text), [413], r.text.slice(0, 400));
    assert.match(r.text, /Connection: close/i);
    const json = JSON.parse(r.text.slice(r.text.indexOf("\r\n\r\n") + 4));
    assert.equal(json.error.code, 413);
    assert.equal(json.error.type, "invalid_request_error");
    // A chunked body within the limit is read and answered.
    const small = JSON.stringify({ messages: hello, max_tokens: 2 });
    const ok = await rawExchange(server.port, [head, `${Buffer.byteLength(small).toString(16)}\r\n${small}\r\n0\r\n\r\n`]);
    assert.deepEqual(statusLines(ok.text), [200], ok.text.slice(0, 400));
  });

  test("/tokenize follows llama-server: special tokens parsed by default, pieces as bytes when not UTF-8", async () => {
    const special = (await post(server.url + "/tokenize", { content: "<|eot_id|>" })).json.tokens;
    assert.equal(special.length, 1);
    const literal = (await post(server.url + "/tokenize", { content: "<|eot_id|>", parse_special: false })).json.tokens;
    assert.ok(literal.length > 1);
    const pieces = (await post(server.url + "/tokenize", { content: "héllo 🎉", with_pieces: true })).json.tokens;
    let bytes = [];
    for (const p of pieces) {
      assert.ok(Number.isInteger(p.id));
      bytes = bytes.concat(typeof p.piece === "string" ? [...Buffer.from(p.piece)] : p.piece);
    }
    assert.equal(Buffer.from(bytes).toString(), "héllo 🎉");
  });

  test("max_tokens 0 → 400 (a reply has at least one token)", async () => {
    const r = await post(server.url + "/v1/chat/completions", { messages: hello, max_tokens: 0 });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /max_tokens/);
  });

  test("completions take a prompt as token ids, like the same prompt as text", async () => {
    const text = "Once upon a time";
    const ids = (await post(server.url + "/tokenize", { content: text, add_special: true, parse_special: true })).json.tokens;
    const req = { model: "m", temperature: 0, max_tokens: 8 };
    const a = await client.completions.create({ ...req, prompt: text });
    const b = await client.completions.create({ ...req, prompt: ids });
    const c = await client.completions.create({ ...req, prompt: [ids] });
    assert.equal(b.choices[0].text, a.choices[0].text);
    assert.equal(c.choices[0].text, a.choices[0].text);
    assert.equal(b.usage.prompt_tokens, ids.length);
    const many = await post(server.url + "/v1/completions", { prompt: ["one", "two"], max_tokens: 2 });
    assert.equal(many.status, 400);
    assert.match(many.json.error.message, /one prompt per request/);
    const out = await post(server.url + "/v1/completions", { prompt: [1, 99999999], max_tokens: 2 });
    assert.equal(out.status, 400);
    assert.match(out.json.error.message, /out of range/);
  });

  test("chat logprobs spell the reply: no end token, nothing past a stop string", async () => {
    for (const extra of [{ max_tokens: 40 }, { max_tokens: 40, stop: [" the", "."] }]) {
      const r = await client.chat.completions.create({ model: "m", messages: hello, temperature: 0, ...extra,
                                                       logprobs: true, top_logprobs: 2 });
      const content = r.choices[0].logprobs.content;
      assert.equal(content.map((t) => t.token).join(""), r.choices[0].message.content, JSON.stringify(extra));
      assert.ok(!content.some((t) => /<\|.*\|>/.test(t.token)), "no special token in the logprobs");
    }
  });

  test("completion logprobs: offsets are the same streamed and not, and the tokens spell the text", async () => {
    const req = { model: "m", prompt: "The sky is", temperature: 0, max_tokens: 16, logprobs: 2 };
    const whole = await client.completions.create(req);
    const lp = whole.choices[0].logprobs;
    assert.equal(lp.tokens.join(""), whole.choices[0].text);
    let at = 0;
    lp.tokens.forEach((t, i) => { assert.equal(lp.text_offset[i], at); at += Buffer.byteLength(t); });
    assert.equal(lp.token_logprobs.length, lp.tokens.length);
    assert.equal(lp.top_logprobs.length, lp.tokens.length);
    const stream = await sse(server.url + "/v1/completions", { ...req, stream: true,
                                                               stream_options: { include_usage: true } });
    const chunks = stream.events.slice(0, -1).map((e) => JSON.parse(e));
    const offsets = chunks.flatMap((c) => c.choices[0]?.logprobs?.text_offset ?? []);
    assert.deepEqual(offsets, lp.text_offset);
    assert.equal(chunks.at(-1).usage.completion_tokens, whole.usage.completion_tokens);
    assert.deepEqual(chunks.at(-1).choices, []);
  });

  test("--max-queue 0: requests that free slots take are served; beyond the slots → 503", async () => {
    const long = { messages: hello, max_tokens: 120, ignore_eos: true };
    const two = await Promise.all([0, 1].map(() => post(server.url + "/v1/chat/completions", long)));
    for (const r of two) assert.equal(r.status, 200, r.text);
    const three = await Promise.all([0, 1, 2].map(() => post(server.url + "/v1/chat/completions", long)));
    assert.deepEqual(three.map((r) => r.status).sort(), [200, 200, 503]);
  });
});

describe("clients that leave early", () => {
  let server;
  // One slot with a long context: a reply of thousands of tokens takes the tiny model seconds.
  before(async () => { server = await startServer(["-np", 1, "-c", 16384, "--metrics"]); });
  after(async () => { if (server) assert.equal(await server.stop("SIGTERM"), 0); });

  test("a non-streaming request whose client leaves is cancelled, its slot freed", async () => {
    const controller = new AbortController();
    const pending = fetch(server.url + "/v1/chat/completions", {
      method: "POST", headers: { "Content-Type": "application/json" }, signal: controller.signal,
      body: JSON.stringify({ messages: hello, max_tokens: 16000, ignore_eos: true }),
    }).catch(() => null);
    let m;
    do { await sleep(20); m = await metrics(server.url); } while (m["bitnet:requests_processing"] < 1);
    await sleep(200);
    controller.abort();
    await pending;
    const deadline = Date.now() + 3000;
    do { await sleep(50); m = await metrics(server.url); }
    while (m["bitnet:requests_processing"] > 0 && Date.now() < deadline);
    assert.equal(m["bitnet:requests_processing"], 0, "the slot was freed after the client left");
    assert.ok(m["bitnet:tokens_predicted_total"] < 16000, "generation stopped early");
    // The server still answers whole replies normally.
    const r = await post(server.url + "/v1/chat/completions", { messages: hello, max_tokens: 5 });
    assert.equal(r.status, 200);
    assert.equal(r.json.usage.completion_tokens, 5);
  });
});

