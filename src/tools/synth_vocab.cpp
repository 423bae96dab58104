#include "tools/synth_vocab.hpp"

#include <set>
#include <string>

#include "tokenizer/byte_mapping.hpp"

namespace bitnet {

namespace {

// Common English pieces; each is built by left-to-right merges so BPE reaches it.
const char* const kPieces[] = {
    " the", " of", " and", " to", " in", " is", " that", " for", " it", " with", " as", " was", " on",  " be",
    " at",  " by", " this", " have", " from", " or", " one", " had", " not", " but", " what", " all", " were",
    " when", " we", " there", " can", " an", " your", " which", " their", " said", " if", " do", " will", " each",
    " about", " how", " up", " out", " them", " then", " she", " many", " some", " so", " these", " would",
    " other", " into", " has", " more", " her", " two", " like", " him", " see", " time", " could", " no",
    " make", " than", " first", " been", " its", " who", " now", " people", " my", " made", " over", " did",
    " down", " only", " way", " find", " use", " may", " water", " long", " little", " very", " after",
    " words", " called", " just", " where", " most", " know", "ing", "ed", "er", "es", "ly", "tion", "The",
    " The", " I", " you", " he", " they", " are", " a", "Hello", " Hello", " world", " model", " text",
};

}  // namespace

Vocab builtin_byte_vocab() {
    Vocab v;
    v.model = "gpt2";
    v.pre = "llama-bpe";
    std::set<std::string> have;
    auto add_token = [&](const std::string& bytes, int32_t type, float score) {
        v.tokens.push_back(bytes_to_mapped(bytes));
        v.token_types.push_back(type);
        v.scores.push_back(score);
        have.insert(bytes);
    };
    for (int b = 0; b < 256; ++b) add_token(std::string(1, static_cast<char>(b)), token_type::kNormal, 0.0f);
    for (const char* piece : kPieces) {
        const std::string p = piece;
        for (size_t len = 2; len <= p.size(); ++len) {
            const std::string merged = p.substr(0, len);
            if (have.count(merged)) continue;
            const std::string left = p.substr(0, len - 1), right = p.substr(len - 1, 1);
            v.merges.push_back(bytes_to_mapped(left) + " " + bytes_to_mapped(right));
            add_token(merged, token_type::kNormal, 0.0f);
        }
    }
    const int32_t first_special = v.size();
    for (const char* name : {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                             "<|eot_id|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                             "<|reserved_special_token_2|>"}) {
        v.tokens.emplace_back(name);
        v.token_types.push_back(token_type::kControl);
        v.scores.push_back(-1000.0f);
    }
    v.bos_id = first_special;
    v.eos_id = first_special + 1;
    v.eot_id = first_special + 4;
    v.pad_id = v.eos_id;
    v.add_bos = true;
    return v;
}

}  // namespace bitnet
