#!/usr/bin/env python3
"""Writes tiny random Hugging Face checkpoints of every public ternary family, in each family's
real layout (shared/docs/hf-ternary-checkpoints.md): config.json, safetensors (written directly,
single or sharded with model.safetensors.index.json), packed U8 projections with a per-tensor
weight_scale (dtype and direction per family) or float master weights, and tokenizer files (a
Llama-3 tokenizer.json built from tests/data/tokenizer/llama3.tiktoken, a smaller byte-level BPE
one for Falcon3, a SentencePiece tokenizer.model for the 1bitLLM models).

    hf_checkpoint.py FAMILY OUT_DIR [--seed N]
    FAMILY: b158 (2B-4T packed), b158-bf16 (2B-4T master), 1bitllm, llama3 (HF1BitLLM), falcon3
"""
import argparse
import base64
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TIKTOKEN = os.path.join(HERE, "..", "..", "data", "tokenizer", "llama3.tiktoken")
LLAMA3_REGEX = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")

# Tiny shapes; widths are multiples of 256 so every output type (TQ1_0/TQ2_0 blocks) fits.
FAMILIES = {
    "b158": dict(arch="BitNetForCausalLM", model_type="bitnet", act="relu2", packed=True, scale="multiply",
                 scale_dtype="BF16", master_dtype=None, tied=True, tokenizer="llama3", merges="string",
                 sub_norms=("self_attn.attn_sub_norm", "mlp.ffn_sub_norm"), theta=500000.0, head_dim=None,
                 heads=(4, 2), shards=1),
    "b158-bf16": dict(arch="BitNetForCausalLM", model_type="bitnet", act="relu2", packed=False, scale="multiply",
                      scale_dtype=None, master_dtype="BF16", tied=True, tokenizer="llama3", merges="string",
                      sub_norms=("self_attn.attn_sub_norm", "mlp.ffn_sub_norm"), theta=500000.0, head_dim=None,
                      heads=(4, 2), shards=1),
    "1bitllm": dict(arch="BitnetForCausalLM", model_type="llama", act="silu", packed=False, scale=None,
                    scale_dtype=None, master_dtype="F32", tied=False, tokenizer="spm", merges=None,
                    sub_norms=("self_attn.inner_attn_ln", "mlp.ffn_layernorm"), theta=10000.0, head_dim=None,
                    heads=(4, 4), shards=1),
    "llama3": dict(arch="LlamaForCausalLM", model_type="llama", act="silu", packed=True, scale="divide",
                   scale_dtype="BF16", master_dtype=None, tied=False, tokenizer="llama3", merges="pair",
                   sub_norms=None, theta=500000.0, head_dim=None, heads=(4, 2), shards=2),
    "falcon3": dict(arch="LlamaForCausalLM", model_type="llama", act="silu", packed=True, scale="divide",
                    scale_dtype="F32", master_dtype=None, tied=True, tokenizer="falcon", merges="string",
                    sub_norms=None, theta=1000042.0, head_dim=128, heads=(4, 2), shards=1),
}
HIDDEN, INTERMEDIATE, LAYERS = 256, 512, 2
FALCON_RANKS = 4000       # Llama-3 ranks kept for the small Falcon-style vocabulary
FALCON_VOCAB = 4096       # config vocab_size; the ids no file names become [PAD<id>]
FALCON_SPECIALS = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", ">>TITLE<<"]
FALCON_TEMPLATE = ("{% for message in messages %}{% if message['role'] == 'system' %}{{ '<|system|>\\n' + "
                   "message['content'] + '\\n' }}{% elif message['role'] == 'user' %}{{ '<|user|>\\n' + "
                   "message['content'] + '\\n' }}{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + "
                   "message['content'] + '<|endoftext|>\\n' }}{% endif %}{% endfor %}"
                   "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}")


# ---- safetensors ---------------------------------------------------------------------------------

def to_bf16_bits(a: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits, round to nearest even."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def encode(a: np.ndarray, dtype: str) -> bytes:
    if dtype == "F32":
        return np.ascontiguousarray(a, dtype="<f4").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(a, dtype="<f2").tobytes()
    if dtype == "BF16":
        return to_bf16_bits(a).astype("<u2").tobytes()
    if dtype == "U8":
        return np.ascontiguousarray(a, dtype=np.uint8).tobytes()
    raise ValueError(dtype)


def write_safetensors(path: str, tensors: dict) -> None:
    """tensors: name -> (dtype, shape, bytes), laid out in name order."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name in sorted(tensors):
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for name in sorted(tensors):
            f.write(tensors[name][2])


def write_checkpoint(out: str, tensors: dict, shards: int) -> None:
    if shards == 1:
        write_safetensors(os.path.join(out, "model.safetensors"), tensors)
        return
    names = sorted(tensors)
    weight_map, total = {}, 0
    for s in range(shards):
        part = names[s::shards]  # interleaved, so a layer's tensors span files
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(os.path.join(out, fname), {n: tensors[n] for n in part})
        for n in part:
            weight_map[n] = fname
            total += len(tensors[n][2])
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)


# ---- weights -------------------------------------------------------------------------------------

def pack_ternary(t: np.ndarray) -> np.ndarray:
    """[out, in] values in {-1,0,1} -> U8 [out/4, in]: byte [r, c] holds rows r, r+R, r+2R, r+3R."""
    codes = (t + 1).astype(np.uint8)
    r = t.shape[0] // 4
    return codes[0:r] | (codes[r:2 * r] << 2) | (codes[2 * r:3 * r] << 4) | (codes[3 * r:4 * r] << 6)


def random_ternary(rng, rows, cols):
    u = rng.random((rows, cols))
    return np.where(u < 0.35, 0, np.where(rng.random((rows, cols)) < 0.5, -1, 1)).astype(np.int8)


def projections(fam, hidden, inter, heads, kv_heads, head_dim):
    q, kv = heads * head_dim, kv_heads * head_dim
    return {"self_attn.q_proj": (q, hidden), "self_attn.k_proj": (kv, hidden), "self_attn.v_proj": (kv, hidden),
            "self_attn.o_proj": (hidden, q), "mlp.gate_proj": (inter, hidden), "mlp.up_proj": (inter, hidden),
            "mlp.down_proj": (hidden, inter)}


def model_tensors(fam: dict, vocab: int, rng) -> dict:
    heads, kv_heads = fam["heads"]
    head_dim = fam["head_dim"] or HIDDEN // heads
    float_dtype = fam["master_dtype"] or "BF16"
    out = {}

    def put(name, dtype, a):
        out[name] = (dtype, a.shape, encode(a, dtype))

    # Head rows of std 0.2 give logits of std ~3: peaked enough for a stable argmax, flat enough for
    # a meaningful perplexity.
    put("model.embed_tokens.weight", float_dtype,
        rng.normal(0.0, 0.2 if fam["tied"] else 1.0, (vocab, HIDDEN)).astype(np.float32))
    put("model.norm.weight", float_dtype, (1.0 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32))
    if not fam["tied"]:
        put("lm_head.weight", float_dtype, rng.normal(0.0, 0.2, (vocab, HIDDEN)).astype(np.float32))
    for layer in range(LAYERS):
        p = f"model.layers.{layer}."
        norms = {"input_layernorm": HIDDEN, "post_attention_layernorm": HIDDEN}
        if fam["sub_norms"]:
            norms[fam["sub_norms"][0]] = heads * head_dim
            norms[fam["sub_norms"][1]] = INTERMEDIATE
        for n, size in norms.items():
            put(p + n + ".weight", float_dtype, (1.0 + 0.1 * rng.standard_normal(size)).astype(np.float32))
        for proj, (rows, cols) in projections(fam, HIDDEN, INTERMEDIATE, heads, kv_heads, head_dim).items():
            if fam["packed"]:
                t = random_ternary(rng, rows, cols)
                alpha = np.float32(rng.uniform(0.8, 1.2) / np.sqrt(0.65 * cols))
                scale = alpha if fam["scale"] == "multiply" else np.float32(1.0) / alpha
                put(p + proj + ".weight", "U8", pack_ternary(t))
                put(p + proj + ".weight_scale", fam["scale_dtype"], np.array([scale], dtype=np.float32))
            else:
                put(p + proj + ".weight", fam["master_dtype"], rng.normal(0.0, 0.02, (rows, cols)).astype(np.float32))
    return out


def config_json(family: str, fam: dict, vocab: int, bos: int, eos: int) -> dict:
    heads, kv_heads = fam["heads"]
    c = {"architectures": [fam["arch"]], "model_type": fam["model_type"], "hidden_act": fam["act"],
         "hidden_size": HIDDEN, "intermediate_size": INTERMEDIATE, "num_hidden_layers": LAYERS,
         "num_attention_heads": heads, "num_key_value_heads": kv_heads, "max_position_embeddings": 512,
         "rms_norm_eps": 1e-5, "rope_theta": fam["theta"], "vocab_size": vocab, "tie_word_embeddings": fam["tied"],
         "bos_token_id": bos, "eos_token_id": eos, "torch_dtype": "bfloat16", "rope_scaling": None}
    if fam["head_dim"]:
        c["head_dim"] = fam["head_dim"]
    if family.startswith("b158"):
        c["quantization_config"] = {"quant_method": "bitnet", "linear_class": "autobitlinear",
                                    "quantization_mode": "offline" if fam["packed"] else "online"}
    elif fam["arch"] == "LlamaForCausalLM":
        c["quantization_config"] = {"quant_method": "bitnet", "modules_to_not_convert": ["lm_head"]}
        if family == "falcon3":
            c["is_bitnet_config"] = True
    return c


# ---- tokenizers ----------------------------------------------------------------------------------

def bytes_to_unicode() -> dict:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def llama3_specials() -> list:
    names = ["<|begin_of_text|>", "<|end_of_text|>"] + [f"<|reserved_special_token_{i}|>" for i in range(4)]
    names += ["<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_4|>", "<|eot_id|>"]
    return names + [f"<|reserved_special_token_{i}|>" for i in range(5, 251)]


def bpe_from_tiktoken(n_ranks=None):
    """Byte-level vocab {token: id} and merges, like transformers' TikTokenConverter."""
    ranks = {}
    with open(TIKTOKEN) as f:
        for line in f:
            b64, rank = line.split()
            if n_ranks is None or int(rank) < n_ranks:
                ranks[base64.b64decode(b64)] = int(rank)
    byte_map = bytes_to_unicode()
    text = lambda b: "".join(byte_map[x] for x in b)
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        splits = []
        for i in range(1, len(token)):
            left, right = token[:i], token[i:]
            if left in ranks and right in ranks:
                splits.append((ranks[left], ranks[right], text(left), text(right)))
        merges += [(l, r) for _, _, l, r in sorted(splits)]
    return {text(t): r for t, r in ranks.items()}, merges


def tokenizer_json(vocab: dict, merges: list, merge_form: str, added: list, bos) -> dict:
    single = [{"Sequence": {"id": "A", "type_id": 0}}]
    special = {}
    if bos is not None:
        single.insert(0, {"SpecialToken": {"id": bos[1], "type_id": 0}})
        special[bos[1]] = {"id": bos[1], "ids": [bos[0]], "tokens": [bos[1]]}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, c in added],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_REGEX}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing", "single": single, "pair": single + single, "special_tokens": special}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab,
                  "merges": [f"{l} {r}" for l, r in merges] if merge_form == "string" else [[l, r] for l, r in merges]},
    }


def write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)


def llama3_tokenizer(out: str, merge_form: str, instruct: bool):
    vocab, merges = bpe_from_tiktoken()
    added = [(128000 + i, s) for i, s in enumerate(llama3_specials())]
    write_json(os.path.join(out, "tokenizer.json"), tokenizer_json(vocab, merges, merge_form, added, (128000, "<|begin_of_text|>")))
    cfg = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>" if instruct else "<|end_of_text|>",
           "model_max_length": 512, "tokenizer_class": "PreTrainedTokenizerFast"}
    if instruct:
        cfg["chat_template"] = ("{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + "
                                "m['content'] | trim + '<|eot_id|>' }}{% endfor %}")
    write_json(os.path.join(out, "tokenizer_config.json"), cfg)
    return 128256, 128000, 128001


def falcon_tokenizer(out: str):
    vocab, merges = bpe_from_tiktoken(FALCON_RANKS)
    added = [(FALCON_RANKS + i, s) for i, s in enumerate(FALCON_SPECIALS)]
    write_json(os.path.join(out, "tokenizer.json"), tokenizer_json(vocab, merges, "string", added, None))
    write_json(os.path.join(out, "tokenizer_config.json"),
               {"eos_token": "<|endoftext|>", "add_bos_token": False, "chat_template": FALCON_TEMPLATE,
                "tokenizer_class": "PreTrainedTokenizerFast"})
    return FALCON_VOCAB, FALCON_RANKS, FALCON_RANKS


def spm_tokenizer(out: str, seed: int):
    import sentencepiece as spm  # Debian python3-sentencepiece
    texts = os.path.join(HERE, "..", "..", "data", "tokenizer", "llama3-public.jsonl")
    corpus = [json.loads(line)["text"] for line in open(texts, encoding="utf-8")]
    model = os.path.join(out, "tokenizer")
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_prefix=model, vocab_size=2000,
                                   model_type="bpe", byte_fallback=True, character_coverage=0.995,
                                   normalization_rule_name="identity", remove_extra_whitespaces=False,
                                   split_digits=True, allow_whitespace_only_pieces=True,  # as Llama-2's
                                   minloglevel=2, num_threads=1)
    os.remove(model + ".vocab")
    n = spm.SentencePieceProcessor(model_file=model + ".model").get_piece_size()
    write_json(os.path.join(out, "added_tokens.json"), {"[PAD0]": n, "[PAD1]": n + 1})
    write_json(os.path.join(out, "tokenizer_config.json"), {"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": True})
    return n + 2, 1, 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("family", choices=sorted(FAMILIES))
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    fam = FAMILIES[args.family]
    os.makedirs(args.out, exist_ok=True)
    if fam["tokenizer"] == "llama3":
        vocab, bos, eos = llama3_tokenizer(args.out, fam["merges"], args.family == "llama3")
    elif fam["tokenizer"] == "falcon":
        vocab, bos, eos = falcon_tokenizer(args.out)
    else:
        vocab, bos, eos = spm_tokenizer(args.out, args.seed)
    write_json(os.path.join(args.out, "config.json"), config_json(args.family, fam, vocab, bos, eos))
    rng = np.random.default_rng(args.seed)
    write_checkpoint(args.out, model_tensors(fam, vocab, rng), fam["shards"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
