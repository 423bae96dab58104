// The converted tokenizer against Hugging Face's own: the npm `tokenizers` package (HF's Rust
// tokenizers for Node) loads a checkpoint's tokenizer.json and encodes every text of the
// tokenization vectors; `bitnet convert` turns the same directory into a GGUF and tokenize_texts
// encodes the texts through it. Every id sequence must be identical. Texts that contain an added
// token's text are left out: HF always matches those as special tokens, our plain-text encoding
// never does (by design, so user text cannot inject them).
//
//   node hf_tokenizers_test.mjs --cli BITNET --tokenize TOKENIZE_TEXTS --checkpoint DIR --workdir DIR
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const { Tokenizer } = require("tokenizers");

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const here = dirname(fileURLToPath(import.meta.url));
const vectors = join(here, "..", "..", "data", "tokenizer", "llama3-public.jsonl");

const tokenizerJson = join(args.checkpoint, "tokenizer.json");
const hf = Tokenizer.fromFile(tokenizerJson);
const added = JSON.parse(readFileSync(tokenizerJson, "utf8")).added_tokens.map((t) => t.content);
const texts = readFileSync(vectors, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l).text)
  .filter((t) => !added.some((a) => t.includes(a)));

const work = join(args.workdir, "hf-tokenizers-" + args.checkpoint.split("/").pop());
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const gguf = join(work, "model.gguf");
execFileSync(args.cli, ["convert", args.checkpoint, "-o", gguf, "-q"], { stdio: ["ignore", "ignore", "inherit"] });
const textsFile = join(work, "texts.json");
writeFileSync(textsFile, JSON.stringify(texts));
const ours = execFileSync(args.tokenize, [gguf, textsFile], { maxBuffer: 1 << 28, encoding: "utf8" })
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l));

let failures = 0;
for (let i = 0; i < texts.length; i++) {
  const want = (await hf.encode(texts[i], null, { addSpecialTokens: false })).getIds();
  if (JSON.stringify(want) !== JSON.stringify(ours[i])) {
    if (++failures <= 10) console.log(`MISMATCH ${JSON.stringify(texts[i])}: ours ${JSON.stringify(ours[i])}, HF ${JSON.stringify(want)}`);
  }
}
console.log(`${texts.length - failures} of ${texts.length} texts give Hugging Face's ids`);
rmSync(work, { recursive: true, force: true });
process.exit(failures === 0 && texts.length > 700 ? 0 : 1);
