#!/usr/bin/env node
// Load test of a running `bitnet serve` (or of nginx in front of replicas): C concurrent clients
// send R streaming chat requests in all and the report gives requests/s, generated tokens/s, time
// to first token and inter-token latency percentiles. Bounded in count and time; loopback only.
//   node scripts/loadtest.mjs --url http://127.0.0.1:8080 [--clients 8] [--requests 64]
//        [--max-tokens 64] [--prompt-words 32] [--timeout 600] [--json]
import { parseArgs } from "node:util";
import { sseData } from "./sse_events.mjs";

const { values: o } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8080" },
    clients: { type: "string", default: "8" },
    requests: { type: "string", default: "64" },
    "max-tokens": { type: "string", default: "64" },
    "prompt-words": { type: "string", default: "32" },
    timeout: { type: "string", default: "600" },
    "api-key": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (o.help) {
  console.log("usage: node scripts/loadtest.mjs --url URL [--clients C] [--requests R] [--max-tokens N] " +
              "[--prompt-words W] [--timeout S] [--api-key K] [--json]");
  process.exit(0);
}
const int = (name, lo, hi) => {
  const v = Number(o[name]);
  if (!Number.isInteger(v) || v < lo || v > hi) {
    console.error(`loadtest: --${name} must be an integer from ${lo} to ${hi} (got ${o[name]})`);
    process.exit(2);
  }
  return v;
};
const clients = int("clients", 1, 256), requests = int("requests", 1, 100000);
const maxTokens = int("max-tokens", 1, 1 << 20), promptWords = int("prompt-words", 1, 100000);
const timeoutS = int("timeout", 1, 86400);
const host = new URL(o.url).hostname;
if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
  console.error(`loadtest: loopback addresses only (got ${host})`);
  process.exit(2);
}

const words = "the quick brown fox jumps over a lazy dog while ternary weights stream from memory".split(" ");
const prompt = (i) => Array.from({ length: promptWords }, (_, k) => words[(i * 7 + k) % words.length]).join(" ");
const headers = { "Content-Type": "application/json" };
if (o["api-key"]) headers.Authorization = "Bearer " + o["api-key"];
const deadline = Date.now() + timeoutS * 1000;

// One streaming request: { ok, ttft, gaps[], tokens, seconds }.
async function one(i) {
  const t0 = performance.now();
  const res = await fetch(o.url + "/v1/chat/completions", {
    method: "POST", headers, signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    body: JSON.stringify({ messages: [{ role: "user", content: prompt(i) }], max_tokens: maxTokens, stream: true,
                           ignore_eos: true, temperature: 0.8, seed: i, stream_options: { include_usage: true } }),
  });
  if (!res.ok) return { ok: false, status: res.status };
  let last = null, ttft = null, tokens = 0, done = false;
  const gaps = [];
  for await (const data of sseData(res.body)) {
    if (data === "[DONE]") { done = true; continue; }
    const chunk = JSON.parse(data);
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
    if (!chunk.choices?.[0]?.delta?.content) continue;
    const now = performance.now();
    if (ttft === null) ttft = now - t0; else gaps.push(now - last);
    last = now;
  }
  // Decode rate of this stream: tokens after the first over the time they took.
  const decodeSeconds = gaps.reduce((a, g) => a + g, 0) / 1000;
  return { ok: done, status: res.status, ttft, gaps, tokens, seconds: (performance.now() - t0) / 1000,
           decodeTps: decodeSeconds > 0 ? gaps.length / decodeSeconds : NaN };
}

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const results = [];
let next = 0;
const start = performance.now();
await Promise.all(Array.from({ length: clients }, async () => {
  while (next < requests && Date.now() < deadline) {
    const i = next++;
    results.push(await one(i).catch((e) => ({ ok: false, error: e.message })));
  }
}));
const wall = (performance.now() - start) / 1000;
const ok = results.filter((r) => r.ok);
const ttft = ok.map((r) => r.ttft), itl = ok.flatMap((r) => r.gaps);
const tokens = ok.reduce((a, r) => a + r.tokens, 0);
const report = {
  url: o.url, clients, requests: results.length, failed: results.length - ok.length, max_tokens: maxTokens,
  prompt_words: promptWords, seconds: wall, requests_per_s: ok.length / wall, generated_tokens_per_s: tokens / wall,
  ttft_ms: { p50: pct(ttft, 50), p90: pct(ttft, 90), p99: pct(ttft, 99) },
  itl_ms: { p50: pct(itl, 50), p90: pct(itl, 90), p99: pct(itl, 99) },
  stream_decode_tokens_per_s_p50: pct(ok.map((r) => r.decodeTps).filter(Number.isFinite), 50),
};
if (o.json) {
  console.log(JSON.stringify(report));
} else {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");
  console.log(`${report.requests} requests (${report.failed} failed) from ${clients} clients in ${wall.toFixed(2)} s`);
  console.log(`requests/s ${report.requests_per_s.toFixed(2)}, generated tokens/s ${report.generated_tokens_per_s.toFixed(1)}`);
  console.log(`time to first token ms: p50 ${f(report.ttft_ms.p50)}  p90 ${f(report.ttft_ms.p90)}  p99 ${f(report.ttft_ms.p99)}`);
  console.log(`inter-token latency ms: p50 ${f(report.itl_ms.p50)}  p90 ${f(report.itl_ms.p90)}  p99 ${f(report.itl_ms.p99)}`);
  console.log(`decode tokens/s of one stream (median): ${f(report.stream_decode_tokens_per_s_p50)}`);
}
process.exit(report.failed > 0 ? 1 : 0);
