// libFuzzer target for PeekMessage and friends.
//  - Differential: PeekMessage(text) != kParse iff boost::json::parse accepts
//    it (max_depth = kMaxJsonDepth). Two documented exceptions are taken out
//    first: surrogate escapes are rewritten to \u0041 before Boost sees the
//    text (Boost rejects unpaired ones, RFC 8259 and JSON.parse do not), and
//    Boost's exponent_overflow (exponents past INT_MAX) is skipped.
//  - Split: byte 0 picks a cut point; the stream "head" + "\n" + "tail" is
//    framed by LineFramer fed in two chunks cut there, and every line must
//    peek exactly as it does when framed whole.
//  - Wrapping: "[" text "]" has exactly one element iff text is one JSON
//    value, and that element spans text minus its whitespace; whitespace
//    around text only shifts the spans.
//  - Every span lies inside the text and holds valid JSON; ids of requests
//    and responses have an IdKey; the error response for any id/reason and
//    for the raw input as message is valid JSON.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "jsonrpc.h"
#include "stdio_framer.h"

namespace {

using mcpr::Peek;
using mcpr::PeekError;
using mcpr::Span;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "jsonrpc_peek_fuzzer: %s\n", what);
  std::abort();
}

std::string NeutralizeSurrogateEscapes(std::string text) {
  std::size_t backslashes = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++backslashes;
      continue;
    }
    if (text[i] == 'u' && backslashes % 2 == 1 && i + 4 < text.size()) {
      const char c0 = text[i + 1];
      const char c1 = text[i + 2];
      const bool surrogate = (c0 == 'd' || c0 == 'D') &&
                             ((c1 >= '8' && c1 <= '9') || (c1 >= 'a' && c1 <= 'f') ||
                              (c1 >= 'A' && c1 <= 'F'));
      const bool hex = std::isxdigit(static_cast<unsigned char>(text[i + 3])) &&
                       std::isxdigit(static_cast<unsigned char>(text[i + 4]));
      if (surrogate && hex) text.replace(i + 1, 4, "0041");
    }
    backslashes = 0;
  }
  return text;
}

bool BoostParses(std::string_view text, const boost::json::parse_options& opts) {
  boost::system::error_code ec;
  boost::json::parse(text, ec, {}, opts);
  return !ec;
}

// A comparable rendering of a peek (spans relative to `shift`).
std::string Describe(PeekError e, const Peek& p, std::size_t shift) {
  auto span = [&](const Span& s) {
    return s.present() ? std::to_string(s.pos - shift) + "+" + std::to_string(s.len) : "-";
  };
  std::string out = std::to_string(static_cast<int>(e)) + "/" +
                    std::to_string(static_cast<int>(p.kind)) + " id=" + span(p.id) +
                    " params=" + span(p.params) + " result=" + span(p.result) +
                    " error=" + span(p.error) + " method=" + p.method + " name=" +
                    (p.has_name ? p.name : "<none>") + " items=";
  for (const Span& s : p.items) out += span(s) + ",";
  return out;
}

std::string PeekDescribe(std::string_view text, std::size_t shift = 0) {
  Peek p;
  std::string why;
  const PeekError e = mcpr::PeekMessage(text, &p, &why);
  return Describe(e, p, shift);
}

class LineCollector : public mcpr::LineFramer::Sink {
 public:
  void OnLine(std::string_view line) override { out.push_back(PeekDescribe(line)); }
  void OnOverflow(std::size_t bytes) override { out.push_back("O" + std::to_string(bytes)); }
  std::vector<std::string> out;
};

std::vector<std::string> FrameAndPeek(std::string_view stream, std::size_t cut) {
  mcpr::LineFramer framer(1 << 20);
  LineCollector sink;
  const std::string first(stream.substr(0, cut));
  const std::string second(stream.substr(cut));
  framer.Feed(first, sink);
  framer.Feed(second, sink);
  framer.Finish(sink);
  return sink.out;
}

void CheckSpan(std::string_view text, const Span& s, const boost::json::parse_options& opts) {
  if (!s.present()) return;
  if (s.pos > text.size() || s.len > text.size() - s.pos) Fail("span outside text");
  const std::string_view v = s.in(text);
  if (v.front() == ' ' || v.back() == ' ' || v.front() == '\n' || v.back() == '\n') {
    Fail("span includes whitespace");
  }
  if (!BoostParses(NeutralizeSurrogateEscapes(std::string(v)), opts)) {
    // Only tolerated when Boost's exponent limit is what refused it.
    boost::system::error_code ec;
    boost::json::parse(NeutralizeSurrogateEscapes(std::string(v)), ec, {}, opts);
    if (ec != boost::json::error::exponent_overflow) Fail("span is not a JSON value");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  boost::json::parse_options opts;
  opts.max_depth = mcpr::kMaxJsonDepth;

  Peek peek;
  std::string why;
  const PeekError err = mcpr::PeekMessage(text, &peek, &why);
  if (err != PeekError::kNone && why.empty()) Fail("error without a reason");

  // Differential against Boost.JSON.
  {
    boost::system::error_code ec;
    boost::json::parse(NeutralizeSurrogateEscapes(std::string(text)), ec, {}, opts);
    if (ec != boost::json::error::exponent_overflow && (err != PeekError::kParse) != !ec) {
      std::fprintf(stderr, "peek=%d boost=%s\n", static_cast<int>(err), ec.message().c_str());
      Fail("disagreement with boost::json");
    }
  }

  // Spans, ids, names.
  if (err == PeekError::kParse && (peek.id.present() || !peek.items.empty())) {
    Fail("parse error with spans");
  }
  for (const Span* s : {&peek.id, &peek.params, &peek.result, &peek.error}) CheckSpan(text, *s, opts);
  for (const Span& s : peek.items) CheckSpan(text, s, opts);
  if (peek.id.present()) {
    const std::string_view id = peek.id.in(text);
    const std::string key = mcpr::IdKey(id);
    if (key.empty() || key[0] == 'x') Fail("usable id without a proper IdKey");
    if (err == PeekError::kInvalid && (id.front() == 'n' || id.front() == '{' || id.front() == '['))
      Fail("kInvalid echoes an unusable id");
  }
  if (err == PeekError::kNone && peek.kind == mcpr::MessageKind::kBatch && peek.items.empty()) {
    Fail("empty batch accepted");
  }
  if (err == PeekError::kNone && peek.kind == mcpr::MessageKind::kBatch) {
    for (const Span& item : peek.items) {
      Peek ip;
      std::string item_why;
      const PeekError ie = mcpr::PeekMessage(item.in(text), &ip, &item_why);
      if (ie == PeekError::kParse) Fail("batch element does not parse on its own");
      if (ip.id.present() && mcpr::IdKey(ip.id.in(item.in(text)))[0] == 'x') {
        Fail("batch element id without a proper IdKey");
      }
    }
  }
  if (peek.has_name) {
    std::string encoded;
    mcpr::AppendJsonString(&encoded, peek.name);
    std::string back;
    if (!mcpr::DecodeJsonString(encoded, &back) || back != peek.name) Fail("name round trip");
  }

  // Error responses are always valid JSON and peek as responses.
  {
    const std::string raw_id = peek.id.present() ? std::string(peek.id.in(text)) : "null";
    for (const std::string_view message : {std::string_view(why), text}) {
      const std::string response = mcpr::MakeErrorResponse(raw_id, mcpr::kInvalidRequest, message);
      Peek rp;
      if (mcpr::PeekMessage(response, &rp, nullptr) != PeekError::kNone ||
          rp.kind != mcpr::MessageKind::kResponse) {
        Fail("error response does not peek as a response");
      }
      if (!BoostParses(NeutralizeSurrogateEscapes(response), opts)) {
        boost::system::error_code ec;
        boost::json::parse(NeutralizeSurrogateEscapes(response), ec, {}, opts);
        if (ec != boost::json::error::exponent_overflow) Fail("error response is not JSON");
      }
    }
  }

  // Whitespace around the text only shifts spans.
  {
    const std::string padded = " \t\r\n" + std::string(text) + "\n ";
    if (PeekDescribe(padded, 4) != PeekDescribe(text)) Fail("whitespace changed the peek");
  }

  // Wrapped in a batch: "[" text "]" has exactly one element iff text is
  // one JSON value (modulo the depth limit, which only the wrapper can hit).
  {
    const std::string wrapped = "[" + std::string(text) + "]";
    Peek wp;
    const PeekError we = mcpr::PeekMessage(wrapped, &wp, nullptr);
    const bool one_element = we == PeekError::kNone && wp.items.size() == 1;
    if (one_element && err == PeekError::kParse) Fail("invalid text is one valid element");
    if (err != PeekError::kParse && we == PeekError::kNone) {
      const std::size_t first = text.find_first_not_of(" \t\r\n");
      const std::size_t last = text.find_last_not_of(" \t\r\n");
      if (!one_element || wp.items[0].in(wrapped) != text.substr(first, last - first + 1)) {
        Fail("wrapped element span");
      }
    }
  }

  // Split: head and tail as two lines of a stdio stream, cut anywhere.
  {
    const std::size_t half = text.size() / 2;
    const std::string stream =
        std::string(text.substr(0, half)) + "\n" + std::string(text.substr(half));
    const std::size_t cut = data[0] % (stream.size() + 1);
    if (FrameAndPeek(stream, cut) != FrameAndPeek(stream, stream.size())) {
      Fail("peek of framed lines depends on the chunking");
    }
  }
  return 0;
}
