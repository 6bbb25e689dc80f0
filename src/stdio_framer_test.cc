#include "stdio_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace mcpr {
namespace {

// Records everything as text: "L:<line>" or "O:<bytes>".
class RecordingSink : public LineFramer::Sink {
 public:
  void OnLine(std::string_view line) override { out.push_back("L:" + std::string(line)); }
  void OnOverflow(std::size_t line_bytes) override {
    out.push_back("O:" + std::to_string(line_bytes));
  }
  std::vector<std::string> out;
};

std::vector<std::string> FrameChunks(std::size_t max_line, const std::vector<std::string_view>& chunks,
                                   bool finish = true) {
  LineFramer framer(max_line);
  RecordingSink sink;
  for (std::string_view c : chunks) {
    // A private copy per chunk: no view may outlive its Feed() call.
    const std::string copy(c);
    framer.Feed(copy, sink);
  }
  if (finish) framer.Finish(sink);
  return sink.out;
}

std::vector<std::string> Frame(std::size_t max_line, std::string_view input, bool finish = true) {
  return FrameChunks(max_line, {input}, finish);
}

// The output must not depend on how the input is chunked: every single
// split point, every pair of split points for short inputs, and one byte
// at a time all have to match the unsplit run.
void ExpectSplitInvariant(std::size_t max_line, std::string_view input) {
  SCOPED_TRACE(testing::Message() << "input=" << testing::PrintToString(std::string(input))
                                  << " max_line=" << max_line);
  for (bool finish : {true, false}) {
    const auto whole = Frame(max_line, input, finish);
    for (std::size_t i = 0; i <= input.size(); ++i) {
      ASSERT_EQ(FrameChunks(max_line, {input.substr(0, i), input.substr(i)}, finish), whole)
          << "split at " << i;
    }
    if (input.size() <= 64) {
      for (std::size_t i = 0; i <= input.size(); ++i) {
        for (std::size_t j = i; j <= input.size(); ++j) {
          ASSERT_EQ(FrameChunks(max_line, {input.substr(0, i), input.substr(i, j - i), input.substr(j)},
                              finish),
                    whole)
              << "split at " << i << "," << j;
        }
      }
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    ASSERT_EQ(FrameChunks(max_line, bytes, finish), whole) << "byte at a time";
  }
}

using Lines = std::vector<std::string>;

TEST(LineFramerTest, SplitsOnNewline) {
  EXPECT_EQ(Frame(100, "a\nbb\nccc\n"), (Lines{"L:a", "L:bb", "L:ccc"}));
}

TEST(LineFramerTest, StripsOneTrailingCr) {
  EXPECT_EQ(Frame(100, "a\r\nb\r\r\nc\rd\n"), (Lines{"L:a", "L:b\r", "L:c\rd"}));
}

TEST(LineFramerTest, SkipsEmptyLines) {
  EXPECT_EQ(Frame(100, "\n\n\r\na\n\n\r\n\nb\n"), (Lines{"L:a", "L:b"}));
}

TEST(LineFramerTest, FinishDeliversPartialLine) {
  EXPECT_EQ(Frame(100, "a\nlast"), (Lines{"L:a", "L:last"}));
  EXPECT_EQ(Frame(100, "a\nlast\r"), (Lines{"L:a", "L:last"}));
  EXPECT_EQ(Frame(100, "a\nlast", /*finish=*/false), (Lines{"L:a"}));
  EXPECT_EQ(Frame(100, "a\n\r"), (Lines{"L:a"}));
}

TEST(LineFramerTest, FinishResetsState) {
  LineFramer framer(100);
  RecordingSink sink;
  framer.Feed("abc", sink);
  EXPECT_EQ(framer.buffered(), 3u);
  framer.Finish(sink);
  EXPECT_EQ(framer.buffered(), 0u);
  framer.Finish(sink);  // nothing left to deliver
  EXPECT_EQ(sink.out, (Lines{"L:abc"}));
}

TEST(LineFramerTest, LineOfExactlyMaxIsAccepted) {
  EXPECT_EQ(Frame(5, "12345\n"), (Lines{"L:12345"}));
  EXPECT_EQ(Frame(5, "12345\r\n"), (Lines{"L:12345"}));  // the CR does not count
  EXPECT_EQ(Frame(5, "123456\n"), (Lines{"O:6"}));
  EXPECT_EQ(Frame(5, "123456\r\n"), (Lines{"O:6"}));
  EXPECT_EQ(Frame(5, "1234567\r\n"), (Lines{"O:7"}));
}

TEST(LineFramerTest, OverflowDiscardsAndResumes) {
  const std::string big(1000, 'x');
  EXPECT_EQ(Frame(10, "ok\n" + big + "\nnext\n"), (Lines{"L:ok", "O:1000", "L:next"}));
  EXPECT_EQ(Frame(10, big + "\r\nnext\n"), (Lines{"O:1000", "L:next"}));
}

TEST(LineFramerTest, OverflowMemoryStaysBounded) {
  LineFramer framer(16);
  RecordingSink sink;
  const std::string chunk(4096, 'y');
  for (int i = 0; i < 1000; ++i) {
    framer.Feed(chunk, sink);
    ASSERT_LE(framer.buffered(), 17u);
  }
  EXPECT_TRUE(sink.out.empty());
  framer.Feed("\r\nafter\n", sink);
  EXPECT_EQ(sink.out, (Lines{"O:4096000", "L:after"}));
}

TEST(LineFramerTest, FinishReportsOverflowingPartialLine) {
  EXPECT_EQ(Frame(4, "ab\nabcdefgh"), (Lines{"L:ab", "O:8"}));
  EXPECT_EQ(Frame(4, "ab\nabcdefgh\r"), (Lines{"L:ab", "O:8"}));
  EXPECT_EQ(FrameChunks(4, {"ab\nabc", "defgh"}), (Lines{"L:ab", "O:8"}));
}

TEST(LineFramerTest, ZeroMaxLineOverflowsEverything) {
  EXPECT_EQ(Frame(0, "a\n\nbc\n"), (Lines{"O:1", "O:2"}));
}

// A sink that checks where each view points.
class LocationSink : public LineFramer::Sink {
 public:
  void OnLine(std::string_view line) override {
    lines.emplace_back(line);
    const bool inside = line.data() >= chunk_begin && line.data() + line.size() <= chunk_end;
    in_chunk.push_back(inside);
  }
  void OnOverflow(std::size_t) override {}
  const char* chunk_begin = nullptr;
  const char* chunk_end = nullptr;
  std::vector<std::string> lines;
  std::vector<bool> in_chunk;
};

TEST(LineFramerTest, WholeLinesAreZeroCopy) {
  LineFramer framer(100);
  LocationSink sink;
  const std::string first = "one\r\ntwo\nthr";
  sink.chunk_begin = first.data();
  sink.chunk_end = first.data() + first.size();
  framer.Feed(first, sink);
  const std::string second = "ee\nfour\n";
  sink.chunk_begin = second.data();
  sink.chunk_end = second.data() + second.size();
  framer.Feed(second, sink);
  EXPECT_EQ(sink.lines, (Lines{"one", "two", "three", "four"}));
  // "three" straddled the chunks, so it had to be copied; the rest not.
  EXPECT_EQ(sink.in_chunk, (std::vector<bool>{true, true, false, true}));
  EXPECT_EQ(sink.lines.size(), 4u);
}

TEST(LineFramerTest, SplitInvariance) {
  const std::string big(40, 'z');
  const std::vector<std::string> inputs = {
      "",
      "\n",
      "\r\n",
      "a",
      "a\n",
      "a\r\n",
      "a\r",
      "\r",
      "\r\r\n",
      "a\nb\r\nc\rd\n\n\ne",
      "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\r\n{\"id\":1}\n",
      "12345\n123456\n1234567\r\n12345\r\n",
      "123456\r",
      "1234567",
      "12345\r",
      big + "\nok\n" + big + "\r\n" + big,
      "ok\n" + big,
      "\n\n\n" + big + "\r\r\n1\n",
  };
  for (const auto& input : inputs) {
    ExpectSplitInvariant(5, input);
    ExpectSplitInvariant(100, input);
  }
}

}  // namespace
}  // namespace mcpr
