// libFuzzer target for LineFramer. Input layout: byte 0 picks max_line,
// bytes 1-2 pick two split points, the rest is the stdin stream. The framer
// must produce the same lines for the unsplit stream, the stream cut at the
// chosen points and the stream fed one byte at a time, and all of them must
// equal a trivial whole-buffer reference implementation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "stdio_framer.h"

namespace {

using Events = std::vector<std::string>;

class Recorder : public mcpr::LineFramer::Sink {
 public:
  explicit Recorder(std::size_t max_line) : max_line_(max_line) {}
  void OnLine(std::string_view line) override {
    if (line.empty() || line.size() > max_line_ || line.find('\n') != std::string_view::npos) {
      std::fprintf(stderr, "bad line of %zu bytes\n", line.size());
      std::abort();
    }
    events.push_back("L" + std::string(line));
  }
  void OnOverflow(std::size_t bytes) override {
    if (bytes <= max_line_) {
      std::fprintf(stderr, "overflow of %zu bytes <= max_line %zu\n", bytes, max_line_);
      std::abort();
    }
    events.push_back("O" + std::to_string(bytes));
  }
  Events events;

 private:
  std::size_t max_line_;
};

Events Frame(std::size_t max_line, const std::vector<std::string_view>& chunks) {
  mcpr::LineFramer framer(max_line);
  Recorder sink(max_line);
  for (std::string_view chunk : chunks) {
    const std::string copy(chunk);  // the framer must not keep views into it
    framer.Feed(copy, sink);
    if (framer.buffered() > max_line + 1) {
      std::fprintf(stderr, "buffered %zu > max_line + 1\n", framer.buffered());
      std::abort();
    }
  }
  framer.Finish(sink);
  if (framer.buffered() != 0) std::abort();
  return sink.events;
}

Events Reference(std::size_t max_line, std::string_view input) {
  Events out;
  while (!input.empty()) {
    const std::size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() > max_line) {
      out.push_back("O" + std::to_string(line.size()));
    } else {
      out.push_back("L" + std::string(line));
    }
  }
  return out;
}

void Check(const Events& got, const Events& want, const char* what) {
  if (got != want) {
    std::fprintf(stderr, "mismatch: %s (%zu vs %zu events)\n", what, got.size(), want.size());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  static const std::size_t kMaxLines[] = {0, 1, 2, 3, 5, 8, 16, 64, 1000, 1 << 20};
  const std::size_t max_line = kMaxLines[data[0] % 10];
  const std::string_view input(reinterpret_cast<const char*>(data) + 3, size - 3);
  const std::size_t a = input.empty() ? 0 : data[1] % (input.size() + 1);
  const std::size_t b = input.empty() ? 0 : a + data[2] % (input.size() - a + 1);

  const Events whole = Frame(max_line, {input});
  Check(whole, Reference(max_line, input), "reference");
  Check(Frame(max_line, {input.substr(0, a), input.substr(a)}), whole, "one split");
  Check(Frame(max_line, {input.substr(0, a), input.substr(a, b - a), input.substr(b)}), whole,
        "two splits");
  if (input.size() <= 4096) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    Check(Frame(max_line, bytes), whole, "byte at a time");
  }
  return 0;
}
