#include "sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace mcpr {
namespace {

using namespace std::string_literals;

// Records everything as text: "E:<type>|<data>|<id>", "R:<ms>", and after
// the run "FAILED" (if Feed returned false) and "LAST:<last_event_id>".
class RecordingSink : public SseParser::Sink {
 public:
  void OnEvent(const SseEvent& e) override {
    out.push_back("E:" + std::string(e.type) + "|" + std::string(e.data) + "|" + std::string(e.id));
  }
  void OnRetry(std::uint64_t ms) override { out.push_back("R:" + std::to_string(ms)); }
  std::vector<std::string> out;
};

using Out = std::vector<std::string>;

Out ParseChunks(std::size_t cap, const std::vector<std::string_view>& chunks) {
  SseParser parser(cap);
  RecordingSink sink;
  bool ok = true;
  for (std::string_view c : chunks) {
    const std::string copy(c);  // views must not outlive the Feed() call
    const bool fed = parser.Feed(copy, sink);
    if (!ok) {
      EXPECT_FALSE(fed) << "a failed parser must stay failed";
    }
    ok = ok && fed;
  }
  EXPECT_EQ(parser.failed(), !ok);
  if (!ok) sink.out.push_back("FAILED");
  sink.out.push_back("LAST:" + parser.last_event_id());
  return sink.out;
}

Out Parse(std::string_view input, std::size_t cap = 1 << 20) { return ParseChunks(cap, {input}); }

void ExpectSplitInvariant(std::string_view input, std::size_t cap = 1 << 20) {
  SCOPED_TRACE(testing::Message() << "input=" << testing::PrintToString(std::string(input))
                                  << " cap=" << cap);
  const Out whole = Parse(input, cap);
  for (std::size_t i = 0; i <= input.size(); ++i) {
    ASSERT_EQ(ParseChunks(cap, {input.substr(0, i), input.substr(i)}), whole) << "split at " << i;
  }
  if (input.size() <= 48) {
    for (std::size_t i = 0; i <= input.size(); ++i) {
      for (std::size_t j = i; j <= input.size(); ++j) {
        ASSERT_EQ(ParseChunks(cap, {input.substr(0, i), input.substr(i, j - i), input.substr(j)}),
                  whole)
            << "split at " << i << "," << j;
      }
    }
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  ASSERT_EQ(ParseChunks(cap, bytes), whole) << "byte at a time";
}

TEST(SseParserTest, SimpleEvent) {
  EXPECT_EQ(Parse("data: hello\n\n"), (Out{"E:message|hello|", "LAST:"}));
}

TEST(SseParserTest, EventTypeAndId) {
  EXPECT_EQ(Parse("event: ping\nid: 7\ndata: {}\n\n"), (Out{"E:ping|{}|7", "LAST:7"}));
  // Type resets after dispatch; the id persists.
  EXPECT_EQ(Parse("event: a\nid: 1\ndata: x\n\ndata: y\n\n"),
            (Out{"E:a|x|1", "E:message|y|1", "LAST:1"}));
  // An empty "event:" means the default type.
  EXPECT_EQ(Parse("event:\ndata: x\n\n"), (Out{"E:message|x|", "LAST:"}));
}

TEST(SseParserTest, LineEndings) {
  const Out expected{"E:message|a|", "E:message|b|", "LAST:"};
  EXPECT_EQ(Parse("data: a\r\n\r\ndata: b\r\n\r\n"), expected);
  EXPECT_EQ(Parse("data: a\r\rdata: b\r\r"), expected);
  EXPECT_EQ(Parse("data: a\n\ndata: b\r\n\r"), expected);
  // CRLF inside an event is one line end (else it would be a blank line).
  EXPECT_EQ(Parse("data: a\r\ndata: b\r\n\r\n"), (Out{"E:message|a\nb|", "LAST:"}));
  EXPECT_EQ(Parse("event: e\r\ndata: a\r\n\r\n"), (Out{"E:e|a|", "LAST:"}));
  // CR LF split across chunks is one line end, not two.
  EXPECT_EQ(ParseChunks(1 << 20, {"data: a\r", "\ndata: b\r", "\n\r", "\n"}),
            (Out{"E:message|a\nb|", "LAST:"}));
  // ...but a CR followed by an empty chunk and then LF is still one.
  EXPECT_EQ(ParseChunks(1 << 20, {"data: a\r", "", "\n\n"}), (Out{"E:message|a|", "LAST:"}));
  // LF CR is two line ends.
  EXPECT_EQ(Parse("data: a\n\rdata: b\n\n"), (Out{"E:message|a|", "E:message|b|", "LAST:"}));
}

TEST(SseParserTest, MultiLineData) {
  EXPECT_EQ(Parse("data: one\ndata:two\ndata:  three\n\n"),
            (Out{"E:message|one\ntwo\n three|", "LAST:"}));
}

TEST(SseParserTest, DataWithoutColonAppendsEmptyLine) {
  EXPECT_EQ(Parse("data\n\n"), (Out{"E:message||", "LAST:"}));
  EXPECT_EQ(Parse("data: a\ndata\ndata: b\n\n"), (Out{"E:message|a\n\nb|", "LAST:"}));
}

TEST(SseParserTest, ColonInValueKept) {
  EXPECT_EQ(Parse("data: {\"a\": 1}\n\n"), (Out{"E:message|{\"a\": 1}|", "LAST:"}));
  EXPECT_EQ(Parse("data:: x\n\n"), (Out{"E:message|: x|", "LAST:"}));
}

TEST(SseParserTest, Comments) {
  EXPECT_EQ(Parse(": keepalive\n:\ndata: x\n: inside\n\n"), (Out{"E:message|x|", "LAST:"}));
  // A comment line is not a blank line: no dispatch.
  EXPECT_EQ(Parse("data: x\n:\n"), (Out{"LAST:"}));
}

TEST(SseParserTest, UnknownFieldsIgnored) {
  EXPECT_EQ(Parse("foo: bar\nDATA: no\ndata : no\ndata: yes\n\n"),
            (Out{"E:message|yes|", "LAST:"}));
}

TEST(SseParserTest, Bom) {
  EXPECT_EQ(Parse("\xEF\xBB\xBF" "data: x\n\n"), (Out{"E:message|x|", "LAST:"}));
  // Only one BOM, only at the very start.
  EXPECT_EQ(Parse("\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\ndata: y\n\n"),
            (Out{"E:message|y|", "LAST:"}));
  EXPECT_EQ(Parse("data: x\n\n\xEF\xBB\xBF" "data: y\n\n"), (Out{"E:message|x|", "LAST:"}));
  // A BOM prefix that is not a BOM stays part of the first line.
  EXPECT_EQ(Parse("\xEF\xBB" "data: x\n\ndata: y\n\n"), (Out{"E:message|y|", "LAST:"}));
  EXPECT_EQ(ParseChunks(1 << 20, {"\xEF", "\xBB", "\xBF", "data: x\n\n"}),
            (Out{"E:message|x|", "LAST:"}));
}

TEST(SseParserTest, Retry) {
  EXPECT_EQ(Parse("retry: 1500\n"), (Out{"R:1500", "LAST:"}));
  EXPECT_EQ(Parse("retry:0\n"), (Out{"R:0", "LAST:"}));
  EXPECT_EQ(Parse("retry: 18446744073709551615\n"), (Out{"R:18446744073709551615", "LAST:"}));
  EXPECT_EQ(Parse("retry: 99999999999999999999999\n"), (Out{"R:18446744073709551615", "LAST:"}));
  // Invalid values are ignored.
  EXPECT_EQ(Parse("retry:\nretry: \nretry: 1.5\nretry: -1\nretry: 10ms\nretry:  10\nretry: +1\n"
                "retry: 1 \n"),
            (Out{"LAST:"}));
  // retry does not dispatch anything by itself.
  EXPECT_EQ(Parse("retry: 5\n\ndata: x\n\n"), (Out{"R:5", "E:message|x|", "LAST:"}));
}

TEST(SseParserTest, IdWithNulIsIgnored) {
  EXPECT_EQ(Parse("id: 1\n\nid: a\0b\ndata: x\n\n"s),
            (Out{"E:message|x|1", "LAST:1"}));
  // An empty id resets the last event id.
  EXPECT_EQ(Parse("id: 1\ndata: x\n\nid\ndata: y\n\n"),
            (Out{"E:message|x|1", "E:message|y|", "LAST:"}));
}

TEST(SseParserTest, PrimingEventUpdatesIdWithoutDispatch) {
  // MCP 2025-11-25: an id and no data.
  EXPECT_EQ(Parse("id: prime-1\n\n"), (Out{"LAST:prime-1"}));
  // With an empty "data:" line the data buffer is "\n", so per the WHATWG
  // algorithm a message event with empty data IS dispatched.
  EXPECT_EQ(Parse("id: prime-2\ndata:\n\n"), (Out{"E:message||prime-2", "LAST:prime-2"}));
  EXPECT_EQ(Parse("id: 1\n\ndata: x\n\n"), (Out{"E:message|x|1", "LAST:1"}));
}

TEST(SseParserTest, IncompleteEventAtEndIsDiscarded) {
  EXPECT_EQ(Parse("data: a\n\ndata: b\n"), (Out{"E:message|a|", "LAST:"}));
  EXPECT_EQ(Parse("data: a\n\ndata: b"), (Out{"E:message|a|", "LAST:"}));
  // The id of an event that never completed is not committed.
  EXPECT_EQ(Parse("id: 1\ndata: a\n\nid: 2\ndata: b\n"), (Out{"E:message|a|1", "LAST:1"}));
}

TEST(SseParserTest, CapOnData) {
  // data buffer "aaaa\nbbbb\n" = 10 bytes.
  EXPECT_EQ(Parse("data: aaaa\ndata: bbbb\n\n", 16), (Out{"E:message|aaaa\nbbbb|", "LAST:"}));
  EXPECT_EQ(Parse("data: aaaa\ndata: bbbb\ndata: cccc\n\n", 16), (Out{"FAILED", "LAST:"}));
  // Events before the overflow are still delivered.
  EXPECT_EQ(Parse("data: a\n\ndata: 0123456789abcdef\n\n", 16),
            (Out{"E:message|a|", "FAILED", "LAST:"}));
}

TEST(SseParserTest, CapOnHugeLineWithoutNewline) {
  SseParser parser(1024);
  RecordingSink sink;
  EXPECT_TRUE(parser.Feed("data: ok\n\n", sink));
  const std::string chunk(100, 'x');
  int fed = 0;
  while (parser.Feed(chunk, sink)) ++fed;
  EXPECT_EQ(fed, 10);  // 1000 bytes pending is fine, 1100 is not
  EXPECT_TRUE(parser.failed());
  EXPECT_FALSE(parser.Feed("\n\ndata: late\n\n", sink));
  EXPECT_EQ(sink.out, (Out{"E:message|ok|"}));
}

TEST(SseParserTest, CapOnCommentAndEveryLine) {
  const std::string comment = ":" + std::string(40, 'c') + "\n";
  EXPECT_EQ(Parse(comment + "data: x\n\n", 32), (Out{"FAILED", "LAST:"}));
  EXPECT_EQ(Parse(comment + "data: x\n\n", 41), (Out{"E:message|x|", "LAST:"}));
}

TEST(SseParserTest, SplitInvariance) {
  const std::vector<std::string> inputs = {
      "",
      "data: hello\n\n",
      "data: a\r\n\r\ndata: b\r\n\r\n",
      "data: a\r\rdata: b\r\r",
      "id: 1\r\nevent: e\r\ndata: a\r\ndata: b\r\n\r\n",
      "data: a\rdata: b\n\r\n\r",
      "\r\n\r\n\r\r\n\n",
      "\xEF\xBB\xBF" "data: x\n\n",
      "\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\n",
      "\xEF\xBB" "data: x\n\ndata: y\n\n",
      "\xEF" "\n\ndata: y\r\n\r\n",
      "\xEF\xBB\xBF\r\n" "data:1\r\r",
      ": comment\r\ndata: x\r: c\r\r",
      "retry: 1500\rretry: x\nretry:20\r\n",
      "id: a\0b\ndata: x\n\n"s,
      "id: prime\n\nid: 2\ndata:\n\n",
      "event: e\nid: 9\ndata: one\ndata\ndata:  three\n\n",
      "data: a\n\ndata: unterminated",
      "data: a\n\ndata: unterminated\n",
      "data: a\n\ndata: b\r",
      "data\n\ndata:\r\rdata\r\n\r\n",
      "foo\nbar: baz\n:x\n\n",
      "data: 0123456789\n\ndata: 0123456789abcdef0123\n\ndata: z\n\n",
      "data: ok\n\n" + std::string(100, 'x'),
      std::string(100, '\r'),
      "data: x\n" + std::string(30, ':') + "\n\n",
  };
  for (const auto& input : inputs) {
    ExpectSplitInvariant(input);
    ExpectSplitInvariant(input, 24);
    ExpectSplitInvariant(input, 12);
  }
}

}  // namespace
}  // namespace mcpr

namespace mcpr {
namespace {

// A data line of several MiB arrives in many chunks (the 10 MB tool result
// case): the event must be intact whatever the chunking, with or without
// the optional space, as the first or a later data line, and the cap must
// still apply.
std::vector<std::string_view> SplitEvery(std::string_view stream, std::size_t chunk) {
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < stream.size(); i += chunk) chunks.push_back(stream.substr(i, chunk));
  return chunks;
}

TEST(SseParserTest, BigDataLineAcrossChunks) {
  std::string payload(3u << 20, 'x');
  for (std::size_t i = 0; i < payload.size(); i += 4099) payload[i] = static_cast<char>('a' + i % 26);
  for (const char* prefix : {"data: ", "data:"}) {
    const std::string stream = "id: 7\n" + std::string(prefix) + payload + "\ndata: tail\n\n";
    for (std::size_t chunk : {std::size_t{65536}, std::size_t{1000003}}) {
      const Out out = ParseChunks(8u << 20, SplitEvery(stream, chunk));
      ASSERT_EQ(out.size(), 2u);
      EXPECT_EQ(out[0], "E:message|" + payload + "\ntail|7");
      EXPECT_EQ(out[1], "LAST:7");
    }
  }
  // A second big data line is appended after the first one.
  const std::string two = "data: " + payload + "\ndata: " + payload + "\n\n";
  const std::vector<std::string_view> chunks = SplitEvery(two, 65536);
  const Out out = ParseChunks(8u << 20, chunks);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "E:message|" + payload + "\n" + payload + "|");
  // The cap applies to a big line exactly as to small ones.
  EXPECT_EQ(ParseChunks(2u << 20, chunks).front(), "FAILED");
  // The event after a big one starts clean (the big line's buffer, taken
  // over as the data buffer with its "data: " prefix, is not carried on).
  const std::string seq = "data: " + payload + "\n\ndata: small\n\n: c\ndata:" + payload + "\n\n";
  for (std::size_t chunk : {std::size_t{65536}, std::size_t{4099}}) {
    const Out got = ParseChunks(8u << 20, SplitEvery(seq, chunk));
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], "E:message|" + payload + "|");
    EXPECT_EQ(got[1], "E:message|small|");
    EXPECT_EQ(got[2], "E:message|" + payload + "|");
  }
}

}  // namespace
}  // namespace mcpr
