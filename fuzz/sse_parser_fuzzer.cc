// libFuzzer target for SseParser. Input layout: byte 0 picks the event cap,
// bytes 1-2 pick two split points, the rest is the event stream. The events,
// retries, failure and final last-event-id must be the same for the unsplit
// stream, the stream cut at the chosen points and the stream fed one byte at
// a time, and must equal a straightforward whole-buffer reference reading
// of the WHATWG algorithm.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sse_parser.h"

namespace {

using Events = std::vector<std::string>;

class Recorder : public mcpr::SseParser::Sink {
 public:
  void OnEvent(const mcpr::SseEvent& e) override {
    events.push_back("E" + std::string(e.type) + '\x01' + std::string(e.data) + '\x01' +
                     std::string(e.id));
  }
  void OnRetry(std::uint64_t ms) override { events.push_back("R" + std::to_string(ms)); }
  Events events;
};

Events Parse(std::size_t cap, const std::vector<std::string_view>& chunks) {
  mcpr::SseParser parser(cap);
  Recorder sink;
  bool ok = true;
  for (std::string_view chunk : chunks) {
    const std::string copy(chunk);  // the parser must not keep views into it
    const bool fed = parser.Feed(copy, sink);
    if (!ok && fed) {
      std::fprintf(stderr, "Feed succeeded after failure\n");
      std::abort();
    }
    ok = ok && fed;
  }
  if (parser.failed() == ok) std::abort();
  if (!ok) sink.events.push_back("FAILED");
  sink.events.push_back("LAST" + parser.last_event_id());
  return sink.events;
}

// The algorithm applied to the whole stream at once.
Events Reference(std::size_t cap, std::string_view s) {
  Events out;
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (s.substr(0, 3) == kBom) {
    s.remove_prefix(3);  // only one BOM is special; what follows is content
  } else if (s.size() < 3 && kBom.substr(0, s.size()) == s) {
    s = {};  // a stream that ends inside what may still become a BOM has no content
  }
  std::string data, type, id_buffer, last_id;
  bool failed = false;
  while (!s.empty()) {
    std::size_t eol = 0;
    while (eol < s.size() && s[eol] != '\r' && s[eol] != '\n') ++eol;
    const std::string_view line = s.substr(0, eol);
    if (line.size() + data.size() > cap) {
      failed = true;
      break;
    }
    if (eol == s.size()) break;  // incomplete last line: discarded
    s.remove_prefix(eol + (s[eol] == '\r' && eol + 1 < s.size() && s[eol + 1] == '\n' ? 2 : 1));
    if (line.empty()) {
      last_id = id_buffer;
      if (!data.empty()) {
        data.pop_back();
        out.push_back("E" + (type.empty() ? std::string("message") : type) + '\x01' + data +
                      '\x01' + last_id);
      }
      data.clear();
      type.clear();
      continue;
    }
    if (line[0] == ':') continue;
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    if (field == "data") {
      data += value;
      data += '\n';
    } else if (field == "event") {
      type = value;
    } else if (field == "id") {
      if (value.find('\0') == std::string_view::npos) id_buffer = value;
    } else if (field == "retry") {
      bool digits = !value.empty();
      for (char c : value) digits = digits && c >= '0' && c <= '9';
      if (digits) {
        std::uint64_t ms = 0;
        for (char c : value) {
          const auto d = static_cast<std::uint64_t>(c - '0');
          ms = ms > (UINT64_MAX - d) / 10 ? UINT64_MAX : ms * 10 + d;
        }
        out.push_back("R" + std::to_string(ms));
      }
    }
  }
  if (failed) out.push_back("FAILED");
  out.push_back("LAST" + last_id);
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
  static const std::size_t kCaps[] = {0, 1, 4, 8, 16, 32, 64, 256, 4096, 1 << 24};
  const std::size_t cap = kCaps[data[0] % 10];
  const std::string_view input(reinterpret_cast<const char*>(data) + 3, size - 3);
  const std::size_t a = input.empty() ? 0 : data[1] % (input.size() + 1);
  const std::size_t b = input.empty() ? 0 : a + data[2] % (input.size() - a + 1);

  const Events whole = Parse(cap, {input});
  Check(whole, Reference(cap, input), "reference");
  Check(Parse(cap, {input.substr(0, a), input.substr(a)}), whole, "one split");
  Check(Parse(cap, {input.substr(0, a), input.substr(a, b - a), input.substr(b)}), whole,
        "two splits");
  if (input.size() <= 4096) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    Check(Parse(cap, bytes), whole, "byte at a time");
  }
  return 0;
}
