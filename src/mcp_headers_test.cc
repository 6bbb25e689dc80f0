#include "mcp_headers.h"

#include <gtest/gtest.h>

#include <string>

namespace mcpr {
namespace {

TEST(McpHeadersTest, PlainVisibleAsciiPassesThrough) {
  EXPECT_EQ(EncodeMcpHeaderValue("get_weather"), "get_weather");
  EXPECT_EQ(EncodeMcpHeaderValue("file:///home/u/notes.md?x=1#y"), "file:///home/u/notes.md?x=1#y");
  EXPECT_EQ(EncodeMcpHeaderValue("a b  c"), "a b  c");  // inner spaces are fine
  EXPECT_EQ(EncodeMcpHeaderValue("x"), "x");
  EXPECT_EQ(EncodeMcpHeaderValue("!~"), "!~");
  // Sentinel look-alikes that do not match the whole pattern.
  EXPECT_EQ(EncodeMcpHeaderValue("=?base64?abc"), "=?base64?abc");
  EXPECT_EQ(EncodeMcpHeaderValue("x=?base64?abc?="), "x=?base64?abc?=");
  EXPECT_EQ(EncodeMcpHeaderValue("=?utf-8?abc?="), "=?utf-8?abc?=");
}

TEST(McpHeadersTest, NonAsciiIsBase64OfUtf8) {
  // "café" = 63 61 66 c3 a9
  EXPECT_EQ(EncodeMcpHeaderValue("caf\xc3\xa9"), "=?base64?Y2Fmw6k=?=");
  // "日本語"
  EXPECT_EQ(EncodeMcpHeaderValue("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "=?base64?5pel5pys6Kqe?=");
}

TEST(McpHeadersTest, WhitespaceAndControlsAreEncoded) {
  EXPECT_EQ(EncodeMcpHeaderValue(" lead"), "=?base64?IGxlYWQ=?=");
  EXPECT_EQ(EncodeMcpHeaderValue("trail "), "=?base64?dHJhaWwg?=");
  EXPECT_EQ(EncodeMcpHeaderValue(" "), "=?base64?IA==?=");
  EXPECT_EQ(EncodeMcpHeaderValue("a\tb"), "=?base64?YQli?=");
  EXPECT_EQ(EncodeMcpHeaderValue("a\r\nX-Injected: 1"), "=?base64?YQ0KWC1JbmplY3RlZDogMQ==?=");
  EXPECT_EQ(EncodeMcpHeaderValue("del\x7f"), "=?base64?ZGVsfw==?=");
  EXPECT_EQ(EncodeMcpHeaderValue(std::string_view("a\0b", 3)), "=?base64?YQBi?=");
}

TEST(McpHeadersTest, EmptyIsEncoded) { EXPECT_EQ(EncodeMcpHeaderValue(""), "=?base64?\?="); }

TEST(McpHeadersTest, LiteralSentinelIsEncoded) {
  // A name that already looks encoded must not be decoded by the server
  // into something else: it is wrapped once more.
  EXPECT_EQ(EncodeMcpHeaderValue("=?base64?SGk=?="), "=?base64?PT9iYXNlNjQ/U0drPT89?=");
  EXPECT_EQ(EncodeMcpHeaderValue("=?base64?\?="), "=?base64?PT9iYXNlNjQ/Pz0=?=");
  EXPECT_EQ(EncodeMcpHeaderValue("=?base64?="), "=?base64?PT9iYXNlNjQ/PQ==?=");  // overlapping ends
  EXPECT_EQ(EncodeMcpHeaderValue("=?BASE64?SGk=?="), "=?base64?PT9CQVNFNjQ/U0drPT89?=");
}

}  // namespace
}  // namespace mcpr
