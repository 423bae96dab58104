// Tokenizer throughput: encoding English prose (the common case for prompts), mixed-script text,
// decoding, and building the Llama-3 vocabulary from the tiktoken file.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "tokenizer/stream_decoder.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab.hpp"

using namespace bitnet;

namespace {

std::string tiktoken_path() { return std::string(BITNET_TEST_DATA_DIR) + "/tokenizer/llama3.tiktoken"; }

const Tokenizer& tokenizer() {
    static const Tokenizer tok(vocab_from_tiktoken(tiktoken_path()));
    return tok;
}

// About `bytes` of English-like prose: Zipf-distributed common words (plus rarer long ones, which
// BPE has to merge) in sentences with capitals, punctuation, numbers, contractions and paragraphs.
std::string english_corpus(size_t bytes, uint32_t seed) {
    static const char* const kWords[] = {
        "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
        "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
        "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when",
        "will", "would", "who", "so", "no", "model", "language", "inference", "memory", "weights", "ternary",
        "quantization", "tokenizer", "engine", "throughput", "latency", "architecture", "performance",
        "implementation", "representation", "understanding", "experiment", "researchers", "government",
        "economic", "development", "international", "particularly", "responsibility", "approximately",
        "neighbourhood", "characteristics", "photosynthesis", "unbelievable", "misunderstanding",
        "Wednesday", "London", "Microsoft", "BitNet", "Llama", "GPU", "CPU", "don't", "it's", "we're",
        "they'll", "I've", "she'd", "can't", "won't"};
    const size_t n_words = sizeof(kWords) / sizeof(kWords[0]);
    std::mt19937 rng(seed);
    // Zipf-like: word k has weight 1/(k+1).
    std::vector<double> weights(n_words);
    for (size_t k = 0; k < n_words; ++k) weights[k] = 1.0 / static_cast<double>(k + 1);
    std::discrete_distribution<size_t> word(weights.begin(), weights.end());
    std::uniform_int_distribution<int> sentence_len(6, 24);
    std::uniform_int_distribution<int> percent(0, 99);
    std::uniform_int_distribution<int> number(0, 99999);

    std::string out;
    out.reserve(bytes + 256);
    while (out.size() < bytes) {
        const int len = sentence_len(rng);
        for (int i = 0; i < len; ++i) {
            std::string w = kWords[word(rng)];
            if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
            if (i > 0) out += ' ';
            const int p = percent(rng);
            if (p < 3) {
                out += std::to_string(number(rng));
            } else if (p < 5) {
                out += "(" + w + ")";
            } else {
                out += w;
            }
            if (i + 1 < len && percent(rng) < 8) out += ',';
        }
        const int end = percent(rng);
        out += end < 80 ? "." : end < 90 ? "?" : "!";
        out += percent(rng) < 15 ? "\n\n" : " ";
    }
    return out;
}

// Prose mixed with code, CJK, Cyrillic, emoji and long whitespace runs.
std::string mixed_corpus(size_t bytes) {
    static const char* const kChunks[] = {
        "The quick brown fox jumps over the lazy dog. ",
        "for (int i = 0; i < n; ++i) {\n    sum += a[i] * b[i];\n}\n",
        "日本語のテキストも正しく分割されます。",
        "Привет, как дела? Всё хорошо. ",
        "Emoji: 😀🎉👨‍👩‍👧‍👦 and flags 🇫🇷🇯🇵. ",
        "        indented line\n\t\ttabs\r\n",
        "{\"key\": [1, 2, 3], \"nested\": {\"value\": 3.14159}}\n",
        "Ελληνικά και العربية و हिन्दी. ",
        "https://example.com/path?query=value&other=123 ",
    };
    const size_t n_chunks = sizeof(kChunks) / sizeof(kChunks[0]);
    std::string out;
    for (size_t k = 0; out.size() < bytes; ++k) out += kChunks[(k * 7 + k / 9) % n_chunks];
    return out;
}

void BM_EncodeEnglish(benchmark::State& state) {
    const Tokenizer& tok = tokenizer();
    const std::string text = english_corpus(static_cast<size_t>(state.range(0)), 42);
    size_t n_tokens = 0;
    for (auto _ : state) {
        const std::vector<int32_t> ids = tok.encode(text, true, false);
        n_tokens = ids.size();
        benchmark::DoNotOptimize(ids.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
    state.counters["bytes_per_token"] = static_cast<double>(text.size()) / static_cast<double>(n_tokens);
}
BENCHMARK(BM_EncodeEnglish)->Arg(400 << 10)->Unit(benchmark::kMillisecond);

// Prompts arrive as many short encodes (chat turns): per-call overhead matters there.
void BM_EncodeEnglishShortCalls(benchmark::State& state) {
    const Tokenizer& tok = tokenizer();
    std::vector<std::string> texts;
    for (uint32_t k = 0; k < 1000; ++k) texts.push_back(english_corpus(200, k));
    size_t total = 0;
    for (const auto& t : texts) total += t.size();
    for (auto _ : state) {
        for (const auto& t : texts) benchmark::DoNotOptimize(tok.encode(t, true, true).data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total));
}
BENCHMARK(BM_EncodeEnglishShortCalls)->Unit(benchmark::kMillisecond);

void BM_EncodeMixed(benchmark::State& state) {
    const Tokenizer& tok = tokenizer();
    const std::string text = mixed_corpus(static_cast<size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(tok.encode(text, false, true).data());
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_EncodeMixed)->Arg(400 << 10)->Unit(benchmark::kMillisecond);

void BM_Decode(benchmark::State& state) {
    const Tokenizer& tok = tokenizer();
    const std::string text = english_corpus(400 << 10, 42);
    const std::vector<int32_t> ids = tok.encode(text, false, false);
    for (auto _ : state) benchmark::DoNotOptimize(tok.decode(ids).data());
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);

void BM_StreamDecode(benchmark::State& state) {
    const Tokenizer& tok = tokenizer();
    const std::vector<int32_t> ids = tok.encode(mixed_corpus(64 << 10), false, false);
    for (auto _ : state) {
        TokenStreamDecoder dec(tok);
        size_t n = 0;
        for (const int32_t id : ids) n += dec.push(id).size();
        benchmark::DoNotOptimize(n);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
}
BENCHMARK(BM_StreamDecode)->Unit(benchmark::kMillisecond);

void BM_LoadTiktokenVocab(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(vocab_from_tiktoken(tiktoken_path()).merges.size());
}
BENCHMARK(BM_LoadTiktokenVocab)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_BuildTokenizer(benchmark::State& state) {
    const Vocab vocab = vocab_from_tiktoken(tiktoken_path());
    for (auto _ : state) benchmark::DoNotOptimize(Tokenizer(vocab).n_vocab());
}
BENCHMARK(BM_BuildTokenizer)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
