// Scale-out as docs/SERVING.md describes it: two `bitnet serve` replicas behind nginx (the
// configuration block from the doc, ports substituted). One replica is killed mid-run: every
// request sent afterwards is answered by the other, streams that were on the dead one end with an
// error instead of hanging, and streams on the survivor complete.
// Environment: BITNET, NGINX (the nginx binary); the test synthesizes its own, slower model so
// that streams are still running when the replica dies.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { sseData } from "../../../scripts/sse_events.mjs";
import { BITNET, post, sleep, startServer } from "./harness.mjs";

const NGINX = process.env.NGINX || "/usr/sbin/nginx";
const docs = join(dirname(fileURLToPath(import.meta.url)), "../../../docs/SERVING.md");
const work = mkdtempSync(join(tmpdir(), "bitnet-nginx-"));
let replicaA, replicaB, nginx, url;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function nginxConfig(portA, portB, port) {
  const block = readFileSync(docs, "utf8").match(/```nginx\n([\s\S]*?)```/)[1]
    .replace("127.0.0.1:8081", `127.0.0.1:${portA}`).replace("127.0.0.1:8082", `127.0.0.1:${portB}`)
    .replace("listen 127.0.0.1:8080", `listen 127.0.0.1:${port}`);
  assert.ok(block.includes(String(portA)) && block.includes(String(portB)) && block.includes(String(port)));
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => { mkdirSync(join(work, t), { recursive: true }); return `${t}_temp_path ${join(work, t)};`; }).join("\n");
  return `daemon off;\nworker_processes 1;\npid ${join(work, "nginx.pid")};\nerror_log ${join(work, "error.log")} warn;\n` +
         `events { worker_connections 256; }\nhttp {\naccess_log off;\n${temp}\n${block}\n}\n`;
}

async function startNginx(conf) {
  writeFileSync(join(work, "nginx.conf"), conf);
  const proc = spawn(NGINX, ["-p", work, "-c", join(work, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr.on("data", (c) => { log += c; });
  const exited = new Promise((resolve) => proc.on("exit", resolve));
  return { proc, log: () => log, stop: async () => { proc.kill("SIGQUIT"); await exited; } };
}

// A streaming request through nginx: resolves { model, done, error, text } when the stream ends;
// `started` resolves when the first content arrives.
function stream(body) {
  let onStart;
  const started = new Promise((r) => { onStart = r; });
  const finished = (async () => {
    const out = { model: null, done: false, error: null, chunks: 0 };
    try {
      const res = await fetch(url + "/v1/chat/completions", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...body, stream: true }) });
      for await (const data of sseData(res.body)) {
        if (data === "[DONE]") { out.done = true; continue; }
        out.model = JSON.parse(data).model;
        if (++out.chunks === 2) onStart(out.model);
      }
    } catch (e) {
      out.error = e.cause?.code || e.message;
    }
    onStart(out.model);
    return out;
  })();
  return { started, finished };
}

before(async () => {
  const model = join(work, "medium.gguf");
  execFileSync(BITNET, ["synth", "--preset", "small", "--embd", "2048", "--ff", "5632", "--heads", "16",
                        "--kv-heads", "4", "--layers", "4", "-c", "4096", "--type", "i2_s", "-q", "-o", model],
               { stdio: "ignore" });
  const flags = ["-np", 4, "-c", 16384, "-t", 1];
  replicaA = await startServer([...flags, "-a", "replica-a"], { model });
  replicaB = await startServer([...flags, "-a", "replica-b"], { model });
  const port = await freePort();
  nginx = await startNginx(nginxConfig(replicaA.port, replicaB.port, port));
  url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; ++i) {
    const ok = await fetch(url + "/health").then((r) => r.status === 200).catch(() => false);
    if (ok) break;
    if (i > 200) throw new Error("nginx did not start: " + nginx.log());
    await sleep(25);
  }
});

after(async () => {
  if (nginx) await nginx.stop();
  if (replicaA) await replicaA.stop("SIGKILL");
  if (replicaB) await replicaB.stop();
  rmSync(work, { recursive: true, force: true });
});

const short = { messages: [{ role: "user", content: "Hi" }], max_tokens: 2 };

test("nginx spreads requests over both replicas", async () => {
  const models = new Set();
  for (let i = 0; i < 6; ++i) {
    const r = await post(url + "/v1/chat/completions", short);
    assert.equal(r.status, 200, r.text);
    models.add(r.json.model);
  }
  assert.deepEqual([...models].sort(), ["replica-a", "replica-b"]);
});

test("a replica killed mid-run: its streams end with an error, the survivor answers everything after", async () => {
  const long = { messages: [{ role: "user", content: "Write for a long time." }], max_tokens: 1500, ignore_eos: true };
  const streams = Array.from({ length: 4 }, () => stream(long));
  const placed = await Promise.all(streams.map((s) => s.started));
  assert.ok(placed.includes("replica-a") && placed.includes("replica-b"), `streams on ${placed}`);

  await replicaA.stop("SIGKILL");
  const killedAt = Date.now();

  // Requests sent after the kill: all answered, all by replica-b.
  for (let i = 0; i < 8; ++i) {
    const r = await post(url + "/v1/chat/completions", short);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model, "replica-b");
  }
  const s = await post(url + "/v1/completions", { prompt: "Once", max_tokens: 2 });
  assert.equal(s.status, 200, s.text);

  let timer;
  const results = await Promise.race([
    Promise.all(streams.map((x) => x.finished)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("a stream hung")), 120000); }),
  ]).finally(() => clearTimeout(timer));
  for (let i = 0; i < results.length; ++i) {
    if (placed[i] === "replica-a") {
      assert.equal(results[i].done, false, "a stream of the killed replica cannot complete");
      assert.ok(results[i].error, "the client sees an error, not a clean end");
    } else {
      assert.equal(results[i].done, true, `stream ${i} on the survivor completes: ${JSON.stringify(results[i])}`);
      assert.equal(results[i].error, null);
    }
  }
  assert.ok(Date.now() - killedAt < 120000);
});
