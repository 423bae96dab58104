#include <gtest/gtest.h>

#include "tokenizer/utf8.hpp"

using namespace bitnet;
using utf8::ScanKind;

namespace {

void expect_scan(std::string_view s, ScanKind kind, size_t len) {
    const utf8::Scan sc = utf8::scan_char(s);
    EXPECT_EQ(sc.kind, kind) << "input of " << s.size() << " bytes";
    EXPECT_EQ(sc.len, len);
}

}  // namespace

TEST(Utf8, ClassifiesValidCharacters) {
    expect_scan("a", ScanKind::Valid, 1);
    expect_scan(std::string_view("\0", 1), ScanKind::Valid, 1);
    expect_scan("\xC3\xA9", ScanKind::Valid, 2);          // é
    expect_scan("\xE2\x82\xAC", ScanKind::Valid, 3);      // €
    expect_scan("\xF0\x9F\x98\x80", ScanKind::Valid, 4);  // 😀
    expect_scan("\xF4\x8F\xBF\xBF", ScanKind::Valid, 4);  // U+10FFFF
}

TEST(Utf8, DetectsTruncatedCharacters) {
    expect_scan("\xF0\x9F\x98", ScanKind::Truncated, 3);
    expect_scan("\xF0", ScanKind::Truncated, 1);
    expect_scan("\xE2\x82", ScanKind::Truncated, 2);
}

TEST(Utf8, RejectsInvalidSequencesWithMaximalSubparts) {
    expect_scan("\x80", ScanKind::Invalid, 1);              // lone continuation
    expect_scan("\xC0\x80", ScanKind::Invalid, 1);          // overlong lead
    expect_scan("\xE0\x80\x80", ScanKind::Invalid, 1);      // overlong 3-byte
    expect_scan("\xED\xA0\x80", ScanKind::Invalid, 1);      // surrogate
    expect_scan("\xF4\x90\x80\x80", ScanKind::Invalid, 1);  // above U+10FFFF
    expect_scan("\xF5", ScanKind::Invalid, 1);
    expect_scan("\xF0\x9F\x98" "a", ScanKind::Invalid, 3);  // interrupted
    expect_scan("\xE2" "a", ScanKind::Invalid, 1);
}

TEST(Utf8, EncodesAndDecodesEveryScalarValue) {
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x3000 ? 1 : 97)) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        std::string s;
        utf8::append_code_point(s, cp);
        const utf8::Scan sc = utf8::scan_char(s);
        ASSERT_EQ(sc.kind, ScanKind::Valid) << cp;
        ASSERT_EQ(sc.len, s.size());
        ASSERT_EQ(utf8::decode_valid(s, sc.len), cp);
    }
    EXPECT_TRUE(utf8::is_valid("héllo 😀"));
    EXPECT_FALSE(utf8::is_valid("h\xFFllo"));
}
