#!/usr/bin/env node
// Server-side figures for BENCHMARKS.md, against a running `bitnet serve` (loopback):
//  1. one stream through HTTP: decode tokens/s of a greedy 128-token reply (median of repeats),
//     to compare with `bitnet bench -n 128` on the same model and threads;
//  2. time to first token of a 512-token prompt while 4 other streams are generating;
//  3. aggregate generated tokens/s with P concurrent streams (each P of --parallel).
//   node bench/serve_bench.mjs --url http://127.0.0.1:8080 [--repeats 3] [--parallel 8,32]
//     [--parts single,ttft,parallel]
import { parseArgs } from "node:util";
import { sseData } from "../scripts/sse_events.mjs";

const { values: o } = parseArgs({ options: {
  url: { type: "string", default: "http://127.0.0.1:8080" },
  repeats: { type: "string", default: "3" },
  parallel: { type: "string", default: "8" },
  parts: { type: "string", default: "single,ttft,parallel" },
} });
const parts = new Set(o.parts.split(","));
const repeats = Number(o.repeats);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Streams one chat request; returns { ttftMs, decodeTps, tokens, t0, tEnd } (times in ms).
async function streamOnce(content, maxTokens, extra = {}) {
  const t0 = performance.now();
  const res = await fetch(o.url + "/v1/chat/completions", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content }], max_tokens: maxTokens, ignore_eos: true,
                           temperature: 0, stream: true, stream_options: { include_usage: true }, ...extra }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  // Tokens are counted from the usage chunk: a token that ends inside a UTF-8 character sends no
  // text until the character is complete, so content chunks can be fewer than tokens.
  let first = null, last = null, n = 0;
  for await (const data of sseData(res.body)) {
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data);
    if (chunk.usage) n = chunk.usage.completion_tokens;
    if (!chunk.choices?.[0]?.delta?.content) continue;
    const now = performance.now();
    if (first === null) first = now;
    last = now;
  }
  return { ttftMs: first - t0, decodeTps: (n - 1) / ((last - first) / 1000), tokens: n, t0, tEnd: performance.now() };
}

async function promptOfTokens(n) {
  // Grow a text until it tokenizes to n tokens (chat template tokens aside).
  const words = "the quick brown fox jumps over a lazy dog while ternary weights stream".split(" ");
  let text = "", count = 0, i = 0;
  while (count < n) {
    text += (text ? " " : "") + words[i++ % words.length];
    if (i % 16 === 0 || count > n - 20) {
      const r = await fetch(o.url + "/tokenize", { method: "POST", body: JSON.stringify({ content: text }) });
      count = (await r.json()).tokens.length;
    }
  }
  return { text, count };
}

if (parts.has("single")) {
  const single = [];
  for (let i = 0; i < repeats; ++i) single.push((await streamOnce("Tell me a long story.", 128)).decodeTps);
  console.log(`single stream over HTTP: decode ${median(single).toFixed(2)} t/s (median of ${repeats}: ` +
              `${single.map((x) => x.toFixed(2)).join(", ")})`);
}

if (parts.has("ttft")) {
  const { text, count } = await promptOfTokens(512);
  const ttfts = [];
  for (let i = 0; i < repeats; ++i) {
    const others = Array.from({ length: 4 }, (_, k) => streamOnce(`Background stream ${k}.`, 400));
    await new Promise((r) => setTimeout(r, 1500));  // the 4 streams are decoding
    // A new first word each time: the slots' prompt caches must not hold this prompt already.
    ttfts.push((await streamOnce(`Run ${i} ${Date.now()}: ${text}`, 1)).ttftMs);
    await Promise.all(others);
}
console.log(`TTFT of a ${count}-token prompt with 4 streams generating: ${median(ttfts).toFixed(0)} ms ` +
            `(median of ${repeats}: ${ttfts.map((x) => x.toFixed(0)).join(", ")})`);
}

for (const p of parts.has("parallel") ? o.parallel.split(",").map(Number) : []) {
  const runs = [];
  for (let i = 0; i < repeats; ++i) {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: p }, (_, k) => streamOnce(`Stream ${k} of ${p}.`, 64)));
    runs.push(rs.reduce((a, r) => a + r.tokens, 0) / ((performance.now() - t0) / 1000));
  }
  console.log(`${p} concurrent streams over HTTP: ${median(runs).toFixed(2)} t/s generated in all (median of ${repeats}, ` +
              `prompt processing included)`);
}
