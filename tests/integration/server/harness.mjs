// Starts `bitnet serve` processes for the Node tests and reads what they print.
// Environment (set by CTest): BITNET (the CLI), BITNET_MODEL (a small GGUF).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export const BITNET = process.env.BITNET;
export const MODEL = process.env.BITNET_MODEL;
if (!BITNET || !MODEL) throw new Error("set BITNET and BITNET_MODEL");

// Spawns `bitnet serve -m MODEL --port 0 ...args`, waits until /health answers 200, and returns
// { url, port, proc, stderr(), rssKiB(), stop(signal) → exit code }.
export async function startServer(args = [], { model = MODEL, timeoutMs = 60000 } = {}) {
  const threads = args.includes("-t") ? [] : ["-t", "2"];
  const proc = spawn(BITNET, ["serve", "-m", model, "--port", "0", ...threads, ...args.map(String)],
                     { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? 15 : 0))));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start:\n" + log)), timeoutMs);
    proc.stderr.on("data", (chunk) => {
      log += chunk.toString();
      const m = log.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${log}`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url + "/health").catch(() => null);
    if (res && res.status === 200) break;
    if (Date.now() > deadline) throw new Error("server never became healthy:\n" + log);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url, port, proc,
    stderr: () => log,
    rssKiB: () => Number(readFileSync(`/proc/${proc.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]),
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

// POSTs JSON (or a raw string) and returns { status, json, text }.
export async function post(url, body, headers = {}) {
  const res = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}

// The raw Server-Sent Events of a streaming request: { status, events: [data strings], raw }.
export async function sse(url, body, headers = {}) {
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers },
                                 body: JSON.stringify(body) });
  // Each event must be valid UTF-8 on its own: a character split across two events would not be.
  const bytes = new Uint8Array(await res.arrayBuffer());
  const strict = new TextDecoder("utf-8", { fatal: true });
  const pieces = [];
  for (let start = 0, i = 0; i + 1 < bytes.length; ++i) {
    if (bytes[i] === 10 && bytes[i + 1] === 10) {
      pieces.push(strict.decode(bytes.subarray(start, i)));
      start = i + 2;
    }
  }
  const raw = strict.decode(bytes);
  const events = pieces.filter((e) => e.length > 0).map((e) => {
    if (!e.startsWith("data: ")) throw new Error("not an SSE data event: " + JSON.stringify(e));
    return e.slice(6);
  });
  return { status: res.status, events, raw, headers: res.headers };
}

export async function metrics(url) {
  const text = await (await fetch(url + "/metrics")).text();
  const values = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-z_:]+)(?:\{[^}]*\})?\s+([0-9.eE+-]+)$/);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
