#!/usr/bin/env python3
"""End-to-end tests of the `bitnet` CLI on synthetic models: every subcommand, determinism,
and clear errors (non-zero exit, a message naming the problem) for bad input.

Run by CTest: cli_test.py --bitnet BIN --models DIR --source REPO --data TESTDATA
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None


def bitnet(*args, stdin=None, check=True, timeout=300, env=None):
    full_env = None if env is None else {**os.environ, **env}
    proc = subprocess.run([ARGS.bitnet, *map(str, args)], input=stdin, capture_output=True, timeout=timeout,
                          env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"bitnet {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bitnet-cli-")
        cls.model = os.path.join(ARGS.models, "tiny-i2_s.gguf")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def assertFails(self, args, fragment, stdin=None):
        proc = bitnet(*args, stdin=stdin, check=False)
        err = proc.stderr.decode(errors="replace")
        # A signal shows as a negative returncode (or 128 + N through a shell): a crash, not an error.
        self.assertGreater(proc.returncode, 0, f"expected an error exit for {args}, got {proc.returncode}: {err}")
        self.assertLess(proc.returncode, 128, f"crashed (signal) for {args}: {err}")
        self.assertIn(fragment, err, f"message for {args}")
        return err


class HelpAndVersion(Base):
    def test_help_on_every_subcommand(self):
        out = bitnet("--help").stdout.decode()
        self.assertIn("Usage: bitnet ", out)
        for sub in ["run", "chat", "tokenize", "inspect", "synth", "perplexity", "bench", "serve", "train", "convert"]:
            self.assertIn(sub, out)
            self.assertIn("Usage", bitnet(sub, "--help").stdout.decode())

    def test_version_names_the_isa(self):
        out = bitnet("--version").stdout.decode()
        self.assertRegex(out, r"bitnet \d+\.\d+\.\d+ \(kernels: (scalar|avx2|avx512|neon)\)")


class Synth(Base):
    def test_deterministic_per_seed(self):
        a, b, c = self.path("a.gguf"), self.path("b.gguf"), self.path("c.gguf")
        bitnet("synth", "--preset", "tiny", "--seed", 3, "-q", "-o", a)
        bitnet("synth", "--preset", "tiny", "--seed", 3, "-q", "-t", 1, "-o", b)
        bitnet("synth", "--preset", "tiny", "--seed", 4, "-q", "-o", c)
        self.assertEqual(open(a, "rb").read(), open(b, "rb").read())
        self.assertNotEqual(open(a, "rb").read(), open(c, "rb").read())

    def test_layout_matches_the_official_file(self):
        out = self.path("l.gguf")
        bitnet("synth", "--preset", "tiny", "--layers", 3, "--no-pre", "-q", "-o", out)
        info = json.loads(bitnet("inspect", out, "--json").stdout)
        self.assertEqual(info["metadata"]["general.architecture"]["value"], "bitnet-b1.58")
        self.assertNotIn("tokenizer.ggml.pre", info["metadata"])
        self.assertNotIn("output.weight", [t["name"] for t in info["tensors"]])
        self.assertEqual(info["n_tensors"], 2 + 11 * 3)
        self.assertEqual(info["totals"]["i2_s"]["count"], 7 * 3)
        self.assertEqual(info["totals"]["f32"]["count"], 1 + 4 * 3)
        q = next(t for t in info["tensors"] if t["name"] == "blk.0.attn_q.weight")
        self.assertEqual(q["bytes"], 256 * 256 // 4 + 32)

    def test_every_type_and_embedding_type(self):
        for typ in ["i2_s", "tq2_0", "tq1_0", "f16", "f32"]:
            for embd in ["f16", "q8_0", "q6_k", "f32"]:
                out = self.path(f"{typ}-{embd}.gguf")
                bitnet("synth", "--preset", "tiny", "--type", typ, "--embd-type", embd, "-q", "-o", out)
                text = bitnet("run", "-m", out, "-p", "Hello", "-n", 4, "--temp", 0).stdout
                self.assertTrue(text.startswith(b"Hello"))

    def test_bad_options(self):
        self.assertFails(["synth", "--preset", "huge", "-o", self.path("x.gguf")], "preset")
        self.assertFails(["synth", "--type", "q4_0", "-o", self.path("x.gguf")], "--type")
        self.assertFails(["synth", "--type", "tq2_0", "--embd", 384, "--heads", 6, "-o", self.path("x.gguf")],
                         "multiple of 256")
        self.assertFails(["synth", "--heads", 3, "-o", self.path("x.gguf")], "--heads")


class Train(Base):
    @staticmethod
    def tiny(**over):
        flags = {"--layers": 1, "--embd": 128, "--ff": 128, "--heads": 2, "--kv-heads": 1, "-c": 32, "-b": 2, "-t": 2}
        flags.update({"--" + k.replace("_", "-") if len(k) > 1 else "-" + k: v for k, v in over.items()})
        return [x for kv in flags.items() for x in kv]

    def texts(self):
        readme = open(os.path.join(ARGS.source, "README.md"), encoding="utf-8").read()
        tr, va = self.path("train.txt"), self.path("val.txt")
        open(tr, "w", encoding="utf-8").write(readme[: len(readme) * 3 // 4])
        open(va, "w", encoding="utf-8").write(readme[len(readme) * 3 // 4:])
        return tr, va

    def test_trains_exports_and_resumes(self):
        tr, va = self.texts()
        out, log, ckpt = self.path("t.gguf"), self.path("log.tsv"), self.path("t.ckpt")
        common = ["train", "--train-text", tr, "--val-text", va, "--vocab", self.model, *self.tiny(), "--steps", 6,
                  "--warmup", 2, "--val-chunks", 4, "-q", "--checkpoint", ckpt, "--log", log, "-o", out]
        bitnet(*common, "--stop-at", 3)
        self.assertFalse(os.path.exists(out))  # validation (and export) happen at the end of the run
        err = bitnet(*common, "--resume").stderr.decode()
        self.assertIn("best validation loss", err)
        rows = [l.split("\t") for l in open(log).read().splitlines()[1:]]
        self.assertEqual([int(r[0]) for r in rows if r[2]], list(range(6)))
        self.assertTrue(bitnet("run", "-m", out, "-p", "The", "-n", 4, "--temp", 0).stdout.startswith(b"The"))
        # Changed settings are refused on resume, naming the flag.
        self.assertFails([*common, "--resume", "--lr", "0.01"], "--lr")

    def test_bad_input(self):
        tr, va = self.texts()
        base = ["train", "--train-text", tr, "--val-text", va, "--vocab", self.model]
        self.assertFails([*base, *self.tiny(embd=100)], "multiples of 128")
        self.assertFails([*base, *self.tiny(heads=3)], "heads")
        self.assertFails([*base, *self.tiny(), "--resume"], "--checkpoint")
        self.assertFails([*base, *self.tiny(), "--steps", 0], "--steps")
        self.assertFails([*base, *self.tiny(b=100000)], "batch")
        self.assertFails([*base, *self.tiny(layers=4, embd=8192, c=60000, b=4000)], "GiB")
        self.assertFails(["train", "--train-text", self.path("missing.txt"), "--val-text", va, "--vocab", self.model],
                         "missing.txt")
        notvocab = self.path("v.txt")
        open(notvocab, "w").write("no tab here\n")
        self.assertFails([*base[:-1], notvocab, *self.tiny()], "piece<TAB>score")
        ckpt = self.path("bad.ckpt")
        open(ckpt, "wb").write(b"junk")
        self.assertFails([*base, *self.tiny(), "--checkpoint", ckpt, "--resume"], "not a bitnet training checkpoint")


class Inspect(Base):
    def test_text_and_json(self):
        text = bitnet("inspect", self.model).stdout.decode()
        self.assertIn("tokenizer.ggml.tokens", text)
        self.assertIn("blk.1.ffn_down.weight", text)
        self.assertIn("totals by type", text)
        info = json.loads(bitnet("inspect", self.model, "--json").stdout)
        self.assertEqual(info["version"], 3)
        self.assertTrue(info["metadata"]["tokenizer.ggml.tokens"]["truncated"])

    def test_bad_files(self):
        trunc = self.path("trunc.gguf")
        data = open(self.model, "rb").read()
        open(trunc, "wb").write(data[: len(data) // 2])
        self.assertFails(["inspect", trunc], "truncated")
        notgguf = self.path("not.gguf")
        open(notgguf, "wb").write(b"hello world, not a model")
        self.assertFails(["inspect", notgguf], "not a GGUF file")
        self.assertFails(["inspect", self.path("missing.gguf")], "cannot open")
        self.assertFails(["inspect", self.tmp], "not a regular file")


class Run(Base):
    def test_greedy_is_identical_for_any_thread_count(self):
        outs = {bitnet("run", "-m", self.model, "-p", "Hello world", "-n", 24, "--temp", 0, "-t", t).stdout
                for t in (1, 2, 3)}
        self.assertEqual(len(outs), 1)

    def test_mapped_and_copied_weights_give_the_same_text(self):
        outs = {bitnet("run", "-m", self.model, "-p", "Hello world", "-n", 24, "--temp", 0, *extra).stdout
                for extra in ([], ["--mmap"], ["--no-mmap"], ["--mmap", "-t", "1"])}
        self.assertEqual(len(outs), 1)

    def test_same_seed_same_text(self):
        a = bitnet("run", "-m", self.model, "-p", "The", "-n", 24, "-s", 11).stdout
        b = bitnet("run", "-m", self.model, "-p", "The", "-n", 24, "-s", 11, "-b", 1).stdout
        c = bitnet("run", "-m", self.model, "-p", "The", "-n", 24, "-s", 12).stdout
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_timings_on_stderr_and_prompt_echo(self):
        p = bitnet("run", "-m", self.model, "-p", "Hi there", "-n", 3, "--temp", 0)
        self.assertTrue(p.stdout.startswith(b"Hi there"))
        self.assertIn(b"tokens/s", p.stderr)
        q = bitnet("run", "-m", self.model, "-p", "Hi there", "-n", 3, "--no-display-prompt")
        self.assertFalse(q.stdout.startswith(b"Hi there"))

    def test_prompt_from_file_and_stop_strings(self):
        f = self.path("prompt.txt")
        open(f, "w").write("Once upon a time")
        full = bitnet("run", "-m", self.model, "-f", f, "-n", 40, "--temp", 0, "--no-display-prompt").stdout
        self.assertGreater(len(full), 4)
        # A stop string of two characters taken from the output (past its first byte), valid UTF-8
        # whatever bytes the random model produced around it.
        text = full.decode("utf-8", errors="ignore")
        stops = [text[i:i + 2] for i in range(len(text) - 1)
                 if text[i:i + 2].strip() and full.find(text[i:i + 2].encode(), 1) > 0]
        self.assertTrue(stops, f"no usable stop string in {full!r}")
        stop = stops[0].encode()
        cut = bitnet("run", "-m", self.model, "-f", f, "-n", 40, "--temp", 0, "--no-display-prompt",
                     "--stop", stops[0]).stdout.rstrip(b"\n")
        self.assertEqual(cut, full[:full.index(stop)], f"stop {stop!r}: output ends right before it")

    def test_cache_types_and_layouts(self):
        for extra in (["--cache-type", "f32"], ["--weights", "base3"], ["--weights", "bits2"],
                      ["--head-type", "q8_0"], ["--head-type", "q6_k"]):
            p = bitnet("run", "-m", self.model, "-p", "Hello", "-n", 4, *extra)
            self.assertTrue(p.stdout.startswith(b"Hello"), extra)

    def test_bad_input(self):
        self.assertFails(["run", "-m", self.model, "-p", ""], "prompt is empty")
        self.assertFails(["run", "-m", self.model, "-p", "word " * 200, "-c", 32], "does not fit")
        too_long = bitnet("run", "-m", self.model, "-p", "word " * 200, "-c", 32, check=False)
        self.assertEqual(too_long.stdout, b"", "nothing is printed before the error")
        bad = self.path("bad.txt")
        open(bad, "wb").write(b"caf\xe9 au lait")
        self.assertFails(["run", "-m", self.model, "-f", bad], "not valid UTF-8")
        self.assertFails(["run", "-m", self.path("gone.gguf"), "-p", "x"], "cannot open")
        self.assertFails(["run", "-m", self.model, "-p", "x", "--top-p", 0], "top-p")
        self.assertFails(["run", "-m", self.model, "-p", "x", "-f", bad], "either -p or -f")

    def test_out_of_range_flags_are_named(self):
        for flag, value in (("-t", -5), ("--top-p", 7), ("--min-p", -1), ("--temp", -1), ("--top-k", -3),
                            ("-n", -2), ("-b", 0), ("-c", -1), ("--repeat-penalty", 0), ("--seed", -7),
                            ("--presence-penalty", 3), ("--repeat-last-n", -2)):
            err = self.assertFails(["run", "-m", self.model, "-p", "x", flag, value], "not in range")
            self.assertIn(str(value), err)
        self.assertFails(["bench", "-m", self.model, "-r", 0], "--repetitions")
        self.assertFails(["synth", "--preset", "tiny", "--layers", 0, "-o", self.path("z.gguf")], "--layers")

    def test_huge_context_names_the_memory(self):
        err = self.assertFails(["run", "-m", self.model, "-p", "x", "-c", 100000000], "use a smaller -c")
        self.assertRegex(err, r"context of 100000000 tokens needs [0-9.]+ GiB")
        self.assertRegex(err, r"only [0-9.]+ GiB of memory is available")

    def _patched(self, name, old, new):
        data = open(self.model, "rb").read()
        self.assertEqual(len(old), len(new))
        out = self.path(name)
        open(out, "wb").write(data.replace(old, new, 1))
        return out

    def test_unsupported_architecture_is_named(self):
        m = self._patched("arch.gguf", b"bitnet-b1.58", b"qwen9-b1.58x")
        err = self.assertFails(["run", "-m", m, "-p", "x"], "unsupported model architecture 'qwen9-b1.58x'")
        self.assertIn("bitnet-b1.58", err)

    def test_missing_tokenizer_metadata(self):
        m = self._patched("notok.gguf", b"tokenizer.ggml.tokens", b"tokenizer.ggml.tokenz")
        self.assertFails(["run", "-m", m, "-p", "x"], "tokenizer")

    def test_truncated_model(self):
        data = open(self.model, "rb").read()
        m = self.path("short.gguf")
        open(m, "wb").write(data[:-5000])
        self.assertFails(["run", "-m", m, "-p", "x"], "truncated")

    def test_context_full_stops_in_order(self):
        p = bitnet("run", "-m", self.model, "-p", "Hello", "-c", 16, "-n", 100, "--temp", 0)
        self.assertIn(b"context_full", p.stderr)


class Tokenize(Base):
    def test_ids_only_json(self):
        out = bitnet("tokenize", "-m", self.model, "-p", "Hello the world", "--ids").stdout.decode()
        ids = json.loads(out)
        self.assertIsInstance(ids, list)
        self.assertEqual(out.strip(), json.dumps(ids, separators=(", ", ": ")))

    def test_file_bytes_exactly(self):
        f = self.path("t.txt")
        open(f, "wb").write(b"a\x00b\n\n")
        ids = json.loads(bitnet("tokenize", "-m", self.model, "-f", f, "--ids", "--no-bos").stdout)
        pieces = json.loads(bitnet("tokenize", "-m", self.model, "-f", f, "--pieces", "--no-bos").stdout)
        self.assertEqual(len(ids), len(pieces))
        self.assertEqual("".join(pieces), "a\x00b\n\n")

    def test_special_tokens_only_when_asked(self):
        plain = json.loads(bitnet("tokenize", "-m", self.model, "-p", "<|eot_id|>", "--ids", "--no-bos").stdout)
        special = json.loads(bitnet("tokenize", "-m", self.model, "-p", "<|eot_id|>", "--ids", "--no-bos",
                                    "--parse-special").stdout)
        self.assertEqual(len(special), 1)
        self.assertGreater(len(plain), 1)

    def test_llama3_vocabulary(self):
        tiktoken = os.path.join(ARGS.data, "tokenizer", "llama3.tiktoken")
        m = self.path("llama3.gguf")
        bitnet("synth", "--preset", "tiny", "--layers", 1, "--tokenizer", tiktoken, "--no-pre", "-q", "-o", m)
        ids = json.loads(bitnet("tokenize", "-m", m, "-p", "Hello world", "--ids").stdout)
        self.assertEqual(ids, [128000, 9906, 1917])
        # Generation stops at <|eot_id|> / <|end_of_text|> and the chat format uses them.
        p = bitnet("chat", "-m", m, "-n", 5, "--temp", 0, stdin=b"Hi\n/exit\n")
        self.assertEqual(p.returncode, 0)


class Bench(Base):
    def test_json_fields(self):
        out = bitnet("bench", "-m", self.model, "-p", 16, "-n", 8, "-r", 2, "-t", 2, "--json").stdout
        results = json.loads(out)
        self.assertEqual([r["test"] for r in results], ["pp16", "tg8"])
        for r in results:
            for key in ("n_prompt", "n_gen", "n_threads", "avg_ts", "stddev_ts", "model_size", "model_type"):
                self.assertIn(key, r)
            self.assertGreater(r["avg_ts"], 0)
            self.assertEqual(r["n_threads"], 2)
            self.assertEqual(len(r["samples_ts"]), 2)
        self.assertGreater(results[1]["roofline_ts"], 0)
        self.assertGreater(results[1]["bytes_per_token"], 0)

    def test_depth(self):
        out = bitnet("bench", "-m", self.model, "-p", 8, "-n", 4, "-r", 2, "-d", 40, "--json").stdout
        results = json.loads(out)
        self.assertEqual([r["test"] for r in results], ["pp8 @ d40", "tg4 @ d40"])
        self.assertTrue(all(r["n_depth"] == 40 for r in results))
        shallow = json.loads(bitnet("bench", "-m", self.model, "-p", 0, "-n", 4, "-r", 1, "--json").stdout)
        self.assertGreater(results[1]["bytes_per_token"], shallow[0]["bytes_per_token"])  # the KV cache
        self.assertFails(["bench", "-m", self.model, "-d", -1], "-d")

    def test_model_type_names_layout_and_head(self):
        out = bitnet("bench", "-m", self.model, "-p", 0, "-n", 2, "-r", 1, "--json", "--weights", "base3",
                     "--head-type", "q8_0").stdout
        self.assertTrue(json.loads(out)[0]["model_type"].endswith("I2_S base3 Q8_0"), out)

    def test_auto_layout_of_tq1_0_follows_the_kernels(self):
        tq1 = os.path.join(ARGS.models, "tiny-tq1_0.gguf")
        # AVX2 decodes base3 slower than memory streams it: "auto" keeps such files 2-bit there.
        isa = bitnet("--version").stdout.decode()
        if "avx2" not in isa and "avx512" not in isa:
            self.skipTest(f"needs an x86 CPU with AVX2 (this one: {isa.strip()})")
        if "avx2" in isa or "avx512" in isa:
            out = bitnet("bench", "-m", tq1, "-p", 0, "-n", 2, "-r", 1, "--json", env={"BITNET_ISA": "avx2"}).stdout
            self.assertIn("TQ1_0 bits2", json.loads(out)[0]["model_type"])
        if "avx512" in isa:
            out = bitnet("bench", "-m", tq1, "-p", 0, "-n", 2, "-r", 1, "--json").stdout
            self.assertIn("TQ1_0 base3", json.loads(out)[0]["model_type"])

    def test_table(self):
        out = bitnet("bench", "-m", self.model, "-p", 8, "-n", 4, "-r", 1).stdout.decode()
        self.assertIn("| model", out)
        self.assertIn("pp8", out)
        self.assertIn("tg4", out)
        self.assertIn("roofline", out)


class Chat(Base):
    def test_piped_conversation(self):
        p = bitnet("chat", "-m", self.model, "-n", 8, "-s", 1, "--verbose", "-sys", "Be brief.",
                   stdin=b"Hello\nHow are you?\n/reset\nAgain\n/exit\nignored\n")
        self.assertEqual(p.returncode, 0)
        err = p.stderr.decode()
        self.assertIn("conversation cleared", err)
        self.assertEqual(err.count("prompt tokens"), 3)

    def test_multi_turn_reuses_the_cache(self):
        p = bitnet("chat", "-m", self.model, "-n", 4, "--temp", 0, "--verbose", stdin=b"One\nTwo\n")
        lines = [l for l in p.stderr.decode().splitlines() if "prompt tokens" in l]
        self.assertEqual(len(lines), 2)
        first = int(lines[0].split("[")[1].split()[0])
        second = int(lines[1].split("[")[1].split()[0])
        # The second turn evaluates only its own tokens, not the whole conversation again.
        self.assertLess(second, first + 4)


class Docs(unittest.TestCase):
    def test_api_md_contains_the_tested_examples(self):
        md = open(os.path.join(ARGS.source, "docs", "API.md")).read()
        for name in ("api_example.cpp", "c_api_example.c"):
            src = open(os.path.join(ARGS.source, "docs", "examples", name)).read()
            self.assertIn(src, md, f"docs/API.md is out of date with docs/examples/{name}")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--bitnet", required=True)
    parser.add_argument("--models", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--data", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
