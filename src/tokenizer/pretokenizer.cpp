#include "tokenizer/pretokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

#include "core/error.hpp"
#include "tokenizer/vocab.hpp"

namespace bitnet {

namespace {

// Unicode White_Space, spelled out: PCRE2's \s under PCRE2_UCP also matches U+180E, which is not
// White_Space (and not \s in tiktoken's regex engine); the README vectors depend on the difference.
#define BITNET_WS                                                                 \
    "\\t\\n\\x{0B}\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}" \
    "\\x{205F}\\x{3000}"

constexpr const char* kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
    "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
    "|\\p{N}{1,3}"
    "| ?[^" BITNET_WS "\\p{L}\\p{N}]+[\\r\\n]*"
    "|[" BITNET_WS "]*[\\r\\n]+"
    "|[" BITNET_WS "]+(?![^" BITNET_WS "])"
    "|[" BITNET_WS "]+";

constexpr const char* kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d"
    "| ?\\p{L}+"
    "| ?\\p{N}+"
    "| ?[^" BITNET_WS "\\p{L}\\p{N}]+"
    "|[" BITNET_WS "]+(?![^" BITNET_WS "])"
    "|[" BITNET_WS "]+";

#undef BITNET_WS

std::string pcre2_message(int code) {
    PCRE2_UCHAR buf[256];
    if (pcre2_get_error_message(code, buf, sizeof buf) < 0) return strprintf("PCRE2 error %d", code);
    return std::string(reinterpret_cast<const char*>(buf));
}

// Per-thread match state: the JIT stack grows up to 8 MiB, enough for the backtracking of very
// long whitespace runs; the match data holds the one ovector pair the patterns need.
struct MatchState {
    pcre2_match_context* context = nullptr;
    pcre2_jit_stack* stack = nullptr;
    pcre2_match_data* data = nullptr;

    MatchState() {
        context = pcre2_match_context_create(nullptr);
        stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
        data = pcre2_match_data_create(1, nullptr);
        if (context == nullptr || stack == nullptr || data == nullptr) fail("pre-tokenizer: out of memory");
        pcre2_jit_stack_assign(context, nullptr, stack);
    }
    ~MatchState() {
        pcre2_match_data_free(data);
        pcre2_jit_stack_free(stack);
        pcre2_match_context_free(context);
    }
    MatchState(const MatchState&) = delete;
    MatchState& operator=(const MatchState&) = delete;
};

MatchState& match_state() {
    thread_local MatchState state;
    return state;
}

}  // namespace

struct PreTokenizer::Impl {
    pcre2_code* code = nullptr;
    ~Impl() { pcre2_code_free(code); }
};

PreTokenizerKind pretokenizer_kind(const Vocab& vocab) {
    if (!vocab.pre) return vocab.is_llama3() ? PreTokenizerKind::Llama3 : PreTokenizerKind::Gpt2;
    const std::string& pre = *vocab.pre;
    if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3") return PreTokenizerKind::Llama3;
    if (pre == "default" || pre == "gpt2" || pre == "gpt-2") return PreTokenizerKind::Gpt2;
    fail("unsupported pre-tokenizer '" + pre +
         "' (tokenizer.ggml.pre); supported: llama-bpe, llama3, llama-v3, default, gpt2");
}

const char* pretokenizer_name(PreTokenizerKind kind) {
    return kind == PreTokenizerKind::Llama3 ? "llama3" : "gpt2";
}

PreTokenizer::PreTokenizer(PreTokenizerKind kind) : kind_(kind) {
    const char* pattern = kind == PreTokenizerKind::Llama3 ? kLlama3Pattern : kGpt2Pattern;
    int err = 0;
    PCRE2_SIZE err_offset = 0;
    auto impl = std::make_shared<Impl>();
    impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                               PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &err_offset, nullptr);
    if (impl->code == nullptr) {
        fail(strprintf("pre-tokenizer: cannot compile the %s pattern at offset %zu: %s", pretokenizer_name(kind),
                       static_cast<size_t>(err_offset), pcre2_message(err).c_str()));
    }
    // Without JIT (unsupported platform) pcre2_match falls back to the interpreter: slower, same result.
    pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE);
    impl_ = std::move(impl);
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& pieces) const {
    MatchState& ms = match_state();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    const size_t n = text.size();
    size_t pos = 0;
    while (pos < n) {
        const int rc = pcre2_match(impl_->code, subject, n, pos, 0, ms.data, ms.context);
        if (rc == PCRE2_ERROR_NOMATCH) {
            pieces.push_back(text.substr(pos));  // only bytes the pattern cannot match are left
            return;
        }
        if (rc < 0) fail("pre-tokenizer: regex match failed: " + pcre2_message(rc));
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(ms.data);
        const size_t start = ov[0];
        size_t end = ov[1];
        if (start > pos) pieces.push_back(text.substr(pos, start - pos));
        if (end <= start) end = start + 1;  // no alternative matches empty; never loop forever anyway
        pieces.push_back(text.substr(start, end - start));
        pos = end;
    }
}

}  // namespace bitnet
