// `bitnet serve` driven by the real `openai` npm client (and raw HTTP where a client hides the
// wire format): chat and completions, streaming, usage, stop strings, seeds, logprobs, API keys,
// error statuses, a mid-stream disconnect, 16 concurrent streams, batch invariance, shutdown.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, openSync, closeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { metrics, post, sleep, sse, startServer } from "./harness.mjs";

let server;
let client;

before(async () => {
  // 4 slots of 512 tokens; a small body limit and queue so the 413 / 503 paths are reachable.
  server = await startServer(["-np", 4, "-c", 2048, "--metrics", "--max-body", 65536, "--max-queue", 16,
                              "-a", "tiny-test"]);
  client = new OpenAI({ baseURL: server.url + "/v1", apiKey: "unused", maxRetries: 0 });
});

after(async () => {
  if (server) assert.equal(await server.stop("SIGTERM"), 0, "SIGTERM ends the server with exit status 0");
});

const greedy = { temperature: 0, max_tokens: 12 };
const hello = [{ role: "user", content: "Hello there, how are you?" }];

describe("models and health", () => {
  test("GET /v1/models lists the alias", async () => {
    const list = await client.models.list();
    assert.deepEqual(list.data.map((m) => m.id), ["tiny-test"]);
    assert.equal(list.data[0].object, "model");
  });
  test("GET /health", async () => {
    const res = await fetch(server.url + "/health");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });
  test("GET / serves the chat page", async () => {
    const res = await fetch(server.url + "/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /text\/html/);
    const html = await res.text();
    assert.match(html, /<textarea id="input"/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=["']https?:/, "no external resources");
  });
});

describe("chat completions", () => {
  test("non-streaming: message, finish_reason and usage", async () => {
    const r = await client.chat.completions.create({ model: "tiny-test", messages: hello, ...greedy });
    assert.equal(r.object, "chat.completion");
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.model, "tiny-test");
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, "assistant");
    assert.equal(typeof r.choices[0].message.content, "string");
    assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
    assert.ok(r.usage.prompt_tokens > 5);
    assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 12);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  test("content as an array of text parts equals the same text as a string", async () => {
    const parts = [{ role: "user", content: [{ type: "text", text: "Hello there, " }, { type: "text", text: "how are you?" }] }];
    const a = await client.chat.completions.create({ model: "m", messages: parts, ...greedy });
    const b = await client.chat.completions.create({ model: "m", messages: hello, ...greedy });
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    assert.equal(a.usage.prompt_tokens, b.usage.prompt_tokens);
  });

  test("max_completion_tokens limits the reply like max_tokens", async () => {
    const r = await client.chat.completions.create({ model: "m", messages: hello, temperature: 0,
                                                     max_completion_tokens: 3, ignore_eos: true });
    assert.equal(r.usage.completion_tokens, 3);
    assert.equal(r.choices[0].finish_reason, "length");
  });

  test("streaming: same id, role first, finish_reason last, usage chunk, text equals the whole reply", async () => {
    const whole = await client.chat.completions.create({ model: "m", messages: hello, ...greedy });
    const stream = await client.chat.completions.create({ model: "m", messages: hello, ...greedy, stream: true,
                                                          stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    assert.ok(chunks.length >= 3);
    const ids = new Set(chunks.map((c) => c.id));
    assert.equal(ids.size, 1, "one id for the whole stream");
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    for (const c of chunks) assert.equal(c.object, "chat.completion.chunk");
    assert.equal(chunks[0].choices[0].delta.role, "assistant");
    const usageChunk = chunks.at(-1);
    assert.deepEqual(usageChunk.choices, []);
    assert.deepEqual(usageChunk.usage, whole.usage);
    const last = chunks.at(-2);
    assert.equal(last.choices[0].finish_reason, whole.choices[0].finish_reason);
    for (const c of chunks.slice(0, -2)) assert.equal(c.choices[0].finish_reason, null);
    const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("");
    assert.equal(text, whole.choices[0].message.content, "streamed text never differs from (or splits) the reply");
  });

  test("the wire format is OpenAI's SSE: data lines, blank-line separated, then [DONE]", async () => {
    const r = await sse(server.url + "/v1/chat/completions", { messages: hello, ...greedy, stream: true });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type"), /text\/event-stream/);
    assert.equal(r.headers.get("x-accel-buffering"), "no", "proxies such as nginx must not buffer the stream");
    assert.equal(r.events.at(-1), "[DONE]");
    for (const e of r.events.slice(0, -1)) JSON.parse(e);
    assert.ok(r.raw.endsWith("data: [DONE]\n\n"));
  });

  test("stop strings cut the reply and report finish_reason stop", async () => {
    const long = { model: "m", messages: hello, temperature: 0, max_tokens: 40, ignore_eos: true };
    const full = (await client.chat.completions.create(long)).choices[0].message.content;
    const stop = [...full].slice(4, 6).join("");
    assert.ok(stop.trim().length > 0, `usable stop string in ${JSON.stringify(full)}`);
    const cut = await client.chat.completions.create({ ...long, stop: ["never-generated", stop] });
    assert.equal(cut.choices[0].finish_reason, "stop");
    assert.equal(cut.choices[0].message.content, full.slice(0, full.indexOf(stop)));
    const streamed = await client.chat.completions.create({ ...long, stop, stream: true });
    let text = "";
    let finish = null;
    for await (const c of streamed) {
      text += c.choices[0]?.delta?.content ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, cut.choices[0].message.content, "no part of the stop string is streamed");
    assert.equal(finish, "stop");
  });

  test("seeds: the same seed gives the same sample, another seed another", async () => {
    const req = { model: "m", messages: hello, temperature: 1.0, top_k: 0, top_p: 1, max_tokens: 24, ignore_eos: true };
    const a = await client.chat.completions.create({ ...req, seed: 1234 });
    const b = await client.chat.completions.create({ ...req, seed: 1234 });
    const c = await client.chat.completions.create({ ...req, seed: 99 });
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    assert.notEqual(a.choices[0].message.content, c.choices[0].message.content);
  });

  test("logprobs with top_logprobs", async () => {
    const r = await client.chat.completions.create({ model: "m", messages: hello, ...greedy, logprobs: true,
                                                     top_logprobs: 3 });
    const content = r.choices[0].logprobs.content;
    assert.equal(content.length, r.usage.completion_tokens);
    for (const t of content) {
      assert.equal(typeof t.token, "string");
      assert.ok(t.logprob <= 0);
      assert.ok(Array.isArray(t.bytes));
      assert.equal(t.top_logprobs.length, 3);
      // Greedy: the chosen token is the most likely one.
      assert.equal(t.logprob, t.top_logprobs[0].logprob);
      for (let i = 1; i < 3; ++i) assert.ok(t.top_logprobs[i].logprob <= t.top_logprobs[i - 1].logprob);
    }
  });

  test("penalties and min_p are accepted and change a sample", async () => {
    const base = { model: "m", messages: hello, temperature: 0, max_tokens: 30, ignore_eos: true };
    const plain = await client.chat.completions.create(base);
    const penalized = await client.chat.completions.create({ ...base, frequency_penalty: 2, presence_penalty: 2,
                                                             repeat_penalty: 1.5, min_p: 0.05 });
    assert.notEqual(plain.choices[0].message.content, penalized.choices[0].message.content);
  });

  test("unknown fields are ignored", async () => {
    const r = await post(server.url + "/v1/chat/completions", { messages: hello, ...greedy, user: "u1",
                                                                 parallel_tool_calls: false, some_future_field: { a: 1 } });
    assert.equal(r.status, 200, r.text);
  });
});

describe("completions", () => {
  test("non-streaming and streaming agree", async () => {
    const req = { model: "m", prompt: "Once upon a time", temperature: 0, max_tokens: 10 };
    const whole = await client.completions.create(req);
    assert.equal(whole.object, "text_completion");
    assert.match(whole.id, /^cmpl-/);
    assert.equal(typeof whole.choices[0].text, "string");
    const stream = await client.completions.create({ ...req, stream: true });
    let text = "";
    let finish = null;
    for await (const c of stream) {
      text += c.choices[0]?.text ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, whole.choices[0].text);
    assert.equal(finish, whole.choices[0].finish_reason);
  });
});

describe("tokenize and detokenize", () => {
  test("round trip", async () => {
    const t = await post(server.url + "/tokenize", { content: "Hello world" });
    assert.equal(t.status, 200);
    assert.ok(t.json.tokens.length > 0 && t.json.tokens.every(Number.isInteger));
    const d = await post(server.url + "/detokenize", { tokens: t.json.tokens });
    assert.equal(d.json.content, "Hello world");
  });
});

describe("errors use the OpenAI envelope and status", () => {
  const chatUrl = () => server.url + "/v1/chat/completions";
  const envelope = (r, status) => {
    assert.equal(r.status, status, r.text);
    assert.equal(typeof r.json.error.message, "string");
    assert.equal(typeof r.json.error.type, "string");
    assert.ok("code" in r.json.error);
    return r.json.error.message;
  };
  test("malformed JSON → 400", async () => envelope(await post(chatUrl(), "{not json"), 400));
  test("wrong field types → 400 naming the field", async () => {
    assert.match(envelope(await post(chatUrl(), { messages: 5 }), 400), /messages/);
    assert.match(envelope(await post(chatUrl(), { messages: hello, temperature: "hot" }), 400), /temperature/);
    assert.match(envelope(await post(chatUrl(), { messages: hello, max_tokens: -4 }), 400), /max_tokens/);
  });
  test("n other than 1 → 400", async () => envelope(await post(chatUrl(), { messages: hello, n: 2 }), 400));
  test("a prompt that does not fit → 400 with both sizes", async () => {
    const msg = envelope(await post(chatUrl(), { messages: [{ role: "user", content: "word ".repeat(2000) }] }), 400);
    assert.match(msg, /\d+ tokens.*512 tokens/);
  });
  test("the openai client raises BadRequestError", async () => {
    await assert.rejects(client.chat.completions.create({ model: "m", messages: hello, n: 3 }),
                         (e) => e instanceof OpenAI.BadRequestError && e.status === 400);
  });
  test("unknown route → 404", async () => {
    envelope(await post(server.url + "/v1/nothing-here", {}), 404);
    const r = await fetch(server.url + "/v2/models");
    assert.equal(r.status, 404);
  });
  test("oversized body → 413", async () => {
    const big = { messages: [{ role: "user", content: "x".repeat(100000) }] };
    assert.equal((await post(chatUrl(), big)).status, 413);
  });
});

describe("reliability", () => {
  test("a client that disconnects mid-stream frees its slot", async () => {
    const controller = new AbortController();
    const res = await fetch(server.url + "/v1/chat/completions", {
      method: "POST", headers: { "Content-Type": "application/json" }, signal: controller.signal,
      body: JSON.stringify({ messages: hello, max_tokens: 400, ignore_eos: true, stream: true }),
    });
    const reader = res.body.getReader();
    await reader.read();  // the first event arrived: generation is running
    const busy = await metrics(server.url);
    assert.ok(busy["bitnet:requests_processing"] >= 1);
    controller.abort();
    const deadline = Date.now() + 5000;
    let m;
    do {
      await sleep(20);
      m = await metrics(server.url);
    } while (m["bitnet:requests_processing"] > 0 && Date.now() < deadline);
    assert.equal(m["bitnet:requests_processing"], 0, "the slot was freed after the disconnect");
    assert.ok(m["bitnet:tokens_predicted_total"] - busy["bitnet:tokens_predicted_total"] < 400,
              "generation stopped early");
  });

  test("16 concurrent streaming clients each get a complete, well-formed stream", async () => {
    const one = async (i) => {
      const r = await sse(server.url + "/v1/chat/completions", {
        messages: [{ role: "user", content: `Client ${i} says hello.` }], max_tokens: 16, seed: i, stream: true,
        stream_options: { include_usage: true } });
      assert.equal(r.status, 200);
      assert.equal(r.events.at(-1), "[DONE]");
      const chunks = r.events.slice(0, -1).map((e) => JSON.parse(e));
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
      assert.equal(chunks[0].choices[0].delta.role, "assistant");
      const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter((f) => f !== null);
      assert.equal(finishes.length, 1);
      assert.ok(["stop", "length"].includes(finishes[0]));
      const usage = chunks.at(-1).usage;
      assert.ok(usage.completion_tokens >= 1 && usage.completion_tokens <= 16);
    };
    await Promise.all(Array.from({ length: 16 }, (_, i) => one(i)));
  });

  test("batch invariance: a greedy reply alone equals the same request amid 7 others", async () => {
    const req = { model: "m", messages: [{ role: "user", content: "Tell me a story about a ternary model." }],
                  temperature: 0, max_tokens: 32, ignore_eos: true };
    const alone = (await client.chat.completions.create(req)).choices[0].message.content;
    const others = Array.from({ length: 7 }, (_, i) => client.chat.completions.create({
      model: "m", messages: [{ role: "user", content: `Other request number ${i}` + " padding".repeat(i * 9) }],
      temperature: 0.9, seed: i, max_tokens: 20 + 5 * i, ignore_eos: true }));
    const [amid] = await Promise.all([client.chat.completions.create(req), ...others]);
    assert.equal(amid.choices[0].message.content, alone);
  });

  test("multi-turn chat reuses the slot's prompt cache", async () => {
    const before = await metrics(server.url);
    const turn1 = [{ role: "system", content: "You are terse." }, { role: "user", content: "First question here?" }];
    const r1 = await client.chat.completions.create({ model: "m", messages: turn1, ...greedy });
    const turn2 = [...turn1, { role: "assistant", content: r1.choices[0].message.content },
                   { role: "user", content: "And a second one?" }];
    await client.chat.completions.create({ model: "m", messages: turn2, ...greedy });
    const m = await metrics(server.url);
    assert.ok(m["bitnet:prompt_cache_hits_total"] > before["bitnet:prompt_cache_hits_total"]);
    assert.ok(m["bitnet:prompt_cache_hit_tokens_total"] - before["bitnet:prompt_cache_hit_tokens_total"] >= 10);
  });
});

describe("API key", () => {
  let keyed;
  before(async () => { keyed = await startServer(["--api-key", "s3cret", "-np", 1, "-c", 512]); });
  after(async () => { if (keyed) await keyed.stop(); });

  test("a missing or wrong key → 401; the right one works; /health and /v1/models stay public", async () => {
    const bad = new OpenAI({ baseURL: keyed.url + "/v1", apiKey: "wrong", maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: "m", messages: hello, max_tokens: 2 }),
                         (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
    const none = await post(keyed.url + "/v1/chat/completions", { messages: hello, max_tokens: 2 });
    assert.equal(none.status, 401);
    assert.equal(typeof none.json.error.message, "string");
    const good = new OpenAI({ baseURL: keyed.url + "/v1", apiKey: "s3cret", maxRetries: 0 });
    const r = await good.chat.completions.create({ model: "m", messages: hello, max_tokens: 2 });
    assert.ok(r.choices[0].message.content !== undefined);
    assert.equal((await fetch(keyed.url + "/health")).status, 200);
    assert.equal((await fetch(keyed.url + "/v1/models")).status, 200);
  });
});

describe("a full queue", () => {
  let small;
  before(async () => { small = await startServer(["-np", 1, "-c", 512, "--max-queue", 1]); });
  after(async () => { if (small) await small.stop(); });

  test("→ 503 once the waiting queue is full", async () => {
    // 12 requests at once for 1 slot and 1 queue place: some must be turned away, none may fail otherwise.
    const long = { messages: hello, max_tokens: 450, ignore_eos: true };
    const results = await Promise.all(Array.from({ length: 12 }, () => post(small.url + "/v1/chat/completions", long)));
    const refused = results.filter((r) => r.status === 503);
    assert.ok(refused.length >= 1, "some requests were refused");
    for (const r of refused) assert.match(r.json.error.message, /busy/);
    for (const r of results.filter((r) => r.status !== 503)) assert.equal(r.status, 200, r.text);
  });
});

describe("memory", () => {
  test("RSS does not grow over 1500 requests", async () => {
    const req = { messages: hello, max_tokens: 2 };
    const batch = (n) => Promise.all(Array.from({ length: n }, () => post(server.url + "/v1/chat/completions", req)));
    for (let i = 0; i < 10; ++i) await batch(10);  // warm up allocator pools and the prompt cache
    const start = server.rssKiB();
    for (let i = 0; i < 150; ++i) {
      const results = await batch(10);
      for (const r of results) assert.equal(r.status, 200);
    }
    const grown = server.rssKiB() - start;
    assert.ok(grown < 8 * 1024, `RSS grew by ${grown} KiB over 1500 requests`);
  });
});

describe("scripts/loadtest.mjs", () => {
  test("reports requests/s, TTFT and inter-token latency percentiles", async () => {
    const script = join(dirname(fileURLToPath(import.meta.url)), "../../../scripts/loadtest.mjs");
    const { stdout } = await promisify(execFile)(process.execPath, [script, "--url", server.url, "--clients", "4",
                                                                    "--requests", "12", "--max-tokens", "8", "--json"]);
    const r = JSON.parse(stdout);
    assert.equal(r.requests, 12);
    assert.equal(r.failed, 0);
    assert.ok(r.requests_per_s > 0 && r.generated_tokens_per_s > 0);
    assert.ok(r.ttft_ms.p50 > 0 && r.ttft_ms.p99 >= r.ttft_ms.p50);
    assert.ok(r.itl_ms.p99 >= r.itl_ms.p50);
    await assert.rejects(promisify(execFile)(process.execPath, [script, "--url", "http://example.com:80"]),
                         /loopback addresses only/);
  });
});

describe("loading", () => {
  test("the socket listens before the weights load: /health is 503 until then", async () => {
    // A FIFO as the model file: opening it blocks until a writer comes, so the server stays in
    // its loading state as long as the test wants.
    const dir = mkdtempSync(join(tmpdir(), "bitnet-fifo-"));
    const fifo = join(dir, "model.gguf");
    execFileSync("mkfifo", [fifo]);
    const { spawn } = await import("node:child_process");
    const proc = spawn(process.env.BITNET, ["serve", "-m", fifo, "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    const exited = new Promise((r) => proc.on("exit", (code) => r(code)));
    try {
      const port = await new Promise((resolve) => proc.stderr.on("data", (c) => {
        log += c;
        const m = log.match(/listening on http:\/\/[^:]+:(\d+)/);
        if (m) resolve(Number(m[1]));
      }));
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { status: "loading model" });
      const chat = await post(`http://127.0.0.1:${port}/v1/chat/completions`, { messages: hello });
      assert.equal(chat.status, 503);
      assert.match(chat.json.error.message, /loading/);
      closeSync(openSync(fifo, "w"));  // an empty "file": loading fails with a clear error
      assert.notEqual(await exited, 0);
      assert.match(log, /error: .*model\.gguf/);
    } finally {
      proc.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
