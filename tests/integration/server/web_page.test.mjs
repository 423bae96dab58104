// The built-in chat page in a real browser: headless Chromium (Debian's, via puppeteer-core)
// loads GET /, sends a message, and a streamed reply appears; the stop button ends a long reply.
// Environment: BITNET, BITNET_MODEL, CHROMIUM (the browser binary).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import puppeteer from "puppeteer-core";
import { startServer } from "./harness.mjs";

let server;
let browser;
let page;

before(async () => {
  server = await startServer(["-np", 2, "-c", 1024]);
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(server.url + "/", { waitUntil: "load" });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test("the page loads without script errors and names the model", async () => {
  await page.waitForFunction(() => document.getElementById("model").textContent.length > 0, { timeout: 10000 });
  const model = await page.$eval("#model", (e) => e.textContent);
  assert.match(model, /\.gguf$/);
  assert.deepEqual(page.errors, []);
});

test("a message gets a streamed reply with its token count", async () => {
  await page.$eval("#max_tokens", (e) => { e.value = "24"; });
  await page.type("#input", "Hello from the browser");
  await page.click("#send");
  await page.waitForSelector(".msg.user");
  assert.equal(await page.$eval(".msg.user", (e) => e.textContent), "Hello from the browser");
  // The stats line is added when the stream has ended.
  await page.waitForSelector(".msg.assistant .stats", { timeout: 30000 });
  const reply = await page.$eval(".msg.assistant", (e) => e.firstChild ? e.firstChild.textContent : "");
  assert.ok(reply.length > 0, "the reply has text");
  const stats = await page.$eval(".msg.assistant .stats", (e) => e.textContent);
  assert.match(stats, /^\d+ tokens, [0-9.]+ tokens\/s · (length|stop)$/);
  assert.deepEqual(page.errors, []);
});

test("the stop button ends a reply early", async () => {
  // The tiny model answers faster than a click: throttle the download so the stream is still
  // arriving when the button is pressed.
  await page.emulateNetworkConditions({ offline: false, download: 2000, upload: 1e6, latency: 0 });
  // A random-weight model may end its reply at once: ask the server to ignore end tokens.
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    if (req.method() !== "POST") return req.continue();
    req.continue({ postData: JSON.stringify({ ...JSON.parse(req.postData()), ignore_eos: true }) });
  });
  await page.$eval("#max_tokens", (e) => { e.value = "100000"; });
  await page.type("#input", "Now a very long answer please");
  await page.click("#send");
  await page.waitForFunction(() => document.querySelectorAll(".msg.assistant").length === 2 &&
                                   document.querySelectorAll(".msg.assistant")[1].textContent.length > 0,
                             { timeout: 30000 });
  await page.click("#stop");
  await page.waitForFunction(() => document.querySelectorAll(".msg.assistant .stats").length === 2, { timeout: 10000 });
  await page.emulateNetworkConditions(null);
  await page.setRequestInterception(false);
  const stats = await page.$$eval(".msg.assistant .stats", (all) => all.at(-1).textContent);
  assert.match(stats, /stopped$/);
  assert.equal(await page.$eval("#send", (e) => e.disabled), false, "the page is ready for the next message");
});
