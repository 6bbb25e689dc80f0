// Lines that lie whole inside one chunk are processed in place; only a line
// cut by a chunk boundary is copied into line_. The cap is checked against
// the line's length so far plus the data buffer, which only grows while a
// line is pending, so the point of failure does not depend on how the
// stream was chunked. last_event_id_ is the id committed by the last
// dispatch; id_buffer_ is the spec's "last event ID buffer" (an id seen in
// an event that never completes must not be used to resume).
#include "sse_parser.h"

#include <cstring>
#include <limits>

namespace mcpr {
namespace {

constexpr unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};
constexpr std::size_t kKeepCapacity = 1 << 20;  // buffers above this are released after use

// First CR or LF in [p, end), or end.
const char* FindEol(const char* p, const char* end) {
  const std::size_t n = static_cast<std::size_t>(end - p);
  const auto* lf = static_cast<const char*>(std::memchr(p, '\n', n));
  const std::size_t before_lf = lf != nullptr ? static_cast<std::size_t>(lf - p) : n;
  const auto* cr = static_cast<const char*>(std::memchr(p, '\r', before_lf));
  if (cr != nullptr) return cr;
  return lf != nullptr ? lf : end;
}

}  // namespace

bool SseParser::Feed(std::string_view chunk, Sink& sink) {
  if (failed_) return false;
  const char* p = chunk.data();
  const char* const end = p + chunk.size();

  // A BOM may itself be split across chunks: match it byte by byte.
  while (!bom_checked_ && p != end) {
    if (static_cast<unsigned char>(*p) == kBom[bom_pos_]) {
      ++p;
      if (++bom_pos_ == sizeof kBom) bom_checked_ = true;
    } else {
      // Not a BOM after all: the bytes matched so far are line content
      // (none of them is CR or LF).
      if (!line_.Append(std::string_view(reinterpret_cast<const char*>(kBom), bom_pos_))) return Fail();
      bom_checked_ = true;
    }
  }

  if (saw_cr_ && p != end) {
    saw_cr_ = false;
    if (*p == '\n') ++p;  // the LF of a CRLF split across chunks
  }

  while (p != end) {
    const char* eol = FindEol(p, end);
    const std::string_view piece(p, static_cast<std::size_t>(eol - p));
    if (eol == end) {
      // Incomplete line: keep it, within the cap (and never grown past it).
      if (line_.size() + piece.size() + DataSize() > max_event_) return Fail();
      if (!line_.Append(piece, max_event_)) return Fail();
      break;
    }
    bool ok;
    if (line_.empty()) {
      ok = ProcessLine(piece, sink);
    } else {
      ok = line_.Append(piece, max_event_) && (TakeDataLine() || ProcessLine(line_.view(), sink));
      line_.Clear(kKeepCapacity);
    }
    if (!ok) return Fail();
    p = eol + 1;
    if (*eol == '\r') {
      if (p == end) {
        saw_cr_ = true;
      } else if (*p == '\n') {
        ++p;
      }
    }
  }
  return true;
}

// A big "data:" line that was cut across chunks already sits in line_:
// when it starts the event's data, take line_'s buffer as data_ and remember
// where the value starts, so a 10 MB event costs one 10 MB buffer and no
// copy at all.
bool SseParser::TakeDataLine() {
  if (!data_.empty() || line_.size() < kKeepCapacity || line_.view().substr(0, 5) != "data:") return false;
  if (line_.size() + 1 > max_event_) return false;  // let ProcessLine report the cap
  const std::size_t skip = line_.size() > 5 && line_.data()[5] == ' ' ? 6 : 5;
  if (!line_.Append("\n")) return false;
  data_.Swap(line_);
  data_start_ = skip;
  return true;
}

std::size_t SseParser::DataSize() const { return data_.size() - data_start_; }

void SseParser::ResetData() {
  data_.Clear(kKeepCapacity);  // don't hold a big event's buffer
  data_start_ = 0;
}

bool SseParser::Fail() {
  failed_ = true;
  line_.Clear(0);
  data_.Clear(0);
  data_start_ = 0;
  type_.clear();
  return false;
}

bool SseParser::ProcessLine(std::string_view line, Sink& sink) {
  if (line.size() + DataSize() > max_event_) return false;
  if (line.empty()) {
    Dispatch(sink);
    return true;
  }
  if (line.front() == ':') return true;  // comment

  std::string_view field = line;
  std::string_view value;
  if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  if (field == "data") {
    if (!data_.Append(value, max_event_ + 1) || !data_.Append("\n", max_event_ + 1)) return false;
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_buffer_.assign(value);
  } else if (field == "retry") {
    if (value.empty()) return true;
    std::uint64_t ms = 0;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    for (const char c : value) {
      if (c < '0' || c > '9') return true;  // not all ASCII digits: ignored
      const auto digit = static_cast<std::uint64_t>(c - '0');
      ms = ms > (kMax - digit) / 10 ? kMax : ms * 10 + digit;  // saturate
    }
    sink.OnRetry(ms);
  }
  return true;
}

void SseParser::Dispatch(Sink& sink) {
  last_event_id_ = id_buffer_;
  if (DataSize() == 0) {
    ResetData();
    type_.clear();
    return;
  }
  data_.PopBack();  // the final '\n'
  SseEvent event;
  event.type = type_.empty() ? std::string_view("message") : std::string_view(type_);
  event.data = data_.view().substr(data_start_);
  event.id = last_event_id_;
  sink.OnEvent(event);
  ResetData();
  type_.clear();
}

}  // namespace mcpr
