// libFuzzer target for HttpRequestParser. Input layout: byte 0 picks the
// size cap, bytes 1-2 pick two split points, the rest is the request.
// The outcome (result, status, parsed head, bytes consumed) must be the same
// for the unsplit input, the input cut at the chosen points and the input
// fed one byte at a time, and a finished head must satisfy the grammar the
// header promises (GET, origin-form target of visible ASCII, lower-case
// token names, trimmed values without CR/LF/NUL, Host rules, cap respected).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http_request_parser.h"

namespace {

using mcpr::HttpRequestParser;
using Result = HttpRequestParser::Result;

struct Outcome {
  Result result = Result::kNeedMore;
  int status = 0;
  std::size_t consumed = 0;
  std::size_t seen = 0;
  mcpr::HttpRequestHead head;

  bool operator==(const Outcome& o) const {
    return result == o.result && status == o.status && consumed == o.consumed &&
           seen == o.seen && head.method == o.head.method && head.target == o.head.target &&
           head.path == o.head.path && head.query == o.head.query &&
           head.has_query == o.head.has_query && head.version_minor == o.head.version_minor &&
           head.headers == o.head.headers;
  }
};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

Outcome Parse(std::size_t cap, const std::vector<std::string_view>& chunks) {
  HttpRequestParser p(cap);
  Outcome o;
  for (std::string_view chunk : chunks) {
    const std::string copy(chunk);  // the parser must not keep views into it
    const bool open = p.result() == Result::kNeedMore;
    std::size_t used = 0;
    o.result = p.Feed(copy, &used);
    if (used > copy.size()) Die("consumed more than fed");
    if (!open && used != 0) Die("consumed after a final state");
    if (open && o.result == Result::kNeedMore && used != copy.size())
      Die("kNeedMore left bytes unconsumed");
    o.consumed += used;
  }
  o.status = p.error_status();
  o.seen = p.bytes_seen();
  o.head = p.request();
  return o;
}

bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

void CheckInvariants(std::size_t cap, std::string_view input, const Outcome& o) {
  if (o.seen > cap || o.consumed > cap) Die("cap exceeded");
  if (o.consumed != o.seen) Die("consumed != bytes_seen");
  switch (o.result) {
    case Result::kNeedMore:
      if (o.status != 0) Die("status without error");
      if (o.consumed != input.size()) Die("kNeedMore did not take everything");
      if (o.seen >= cap) Die("kNeedMore at the cap");
      return;
    case Result::kError:
      if (o.status != 400 && o.status != 405 && o.status != 414 && o.status != 431)
        Die("unexpected status");
      if (o.status == 405 && (o.head.method.empty() || o.head.method == "GET"))
        Die("405 without another method");
      return;
    case Result::kDone:
      break;
  }
  if (o.status != 0) Die("status on success");
  const auto& h = o.head;
  if (h.method != "GET") Die("done with a method other than GET");
  if (h.version_minor != 0 && h.version_minor != 1) Die("version");
  if (h.path.empty() || h.path[0] != '/') Die("path not origin-form");
  if (h.target != h.path + (h.has_query ? "?" + h.query : std::string())) Die("target split");
  if (h.path.find('?') != std::string::npos) Die("'?' in path");
  for (char ch : h.target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e || c == '#') Die("target byte");
  }
  std::size_t hosts = 0;
  for (const auto& [name, value] : h.headers) {
    if (name.empty()) Die("empty name");
    for (char c : name)
      if (!IsTchar(static_cast<unsigned char>(c))) Die("name not a lower-case token");
    for (char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f) Die("control in value");
    }
    if (!value.empty() && (value.front() == ' ' || value.front() == '\t' || value.back() == ' ' ||
                           value.back() == '\t'))
      Die("value not trimmed");
    if (name == "host") ++hosts;
  }
  if (h.headers.size() > HttpRequestParser::kMaxFields) Die("too many fields");
  if (hosts > 1 || (h.version_minor == 1 && hosts != 1)) Die("host rule");
  // The head ends with an empty line: LF, optionally preceded by CR.
  if (o.consumed == 0 || input[o.consumed - 1] != '\n') Die("head does not end with LF");
}

void Check(const Outcome& got, const Outcome& want, const char* what) {
  if (!(got == want)) {
    std::fprintf(stderr, "mismatch: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  static const std::size_t kCaps[] = {1, 16, 64, 256, 1024, 8192};
  const std::size_t cap = kCaps[data[0] % 6];
  const std::string_view input(reinterpret_cast<const char*>(data) + 3, size - 3);
  const std::size_t a = input.empty() ? 0 : data[1] % (input.size() + 1);
  const std::size_t b = input.empty() ? 0 : a + data[2] % (input.size() - a + 1);

  const Outcome whole = Parse(cap, {input});
  CheckInvariants(cap, input, whole);
  Check(Parse(cap, {input.substr(0, a), input.substr(a)}), whole, "one split");
  Check(Parse(cap, {input.substr(0, a), input.substr(a, b - a), input.substr(b)}), whole,
        "two splits");
  if (input.size() <= 16384) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    Check(Parse(cap, bytes), whole, "byte at a time");
  }
  return 0;
}
