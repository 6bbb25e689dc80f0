// Overflow accounting: a line's size is its length without the '\n' and
// without the one stripped '\r', so a CRLF host may send exactly max_line
// bytes of payload. To decide that without unbounded memory the partial
// buffer may hold max_line + 1 bytes (the extra byte can only be that '\r');
// past that the line is certainly too long and switches to discard mode,
// where only a byte count and "last byte was '\r'" are kept.
#include "stdio_framer.h"

#include <cstring>

namespace mcpr {

void LineFramer::Release() { partial_.Clear(kKeepCapacity); }

void LineFramer::Feed(std::string_view chunk, Sink& sink) {
  const char* p = chunk.data();
  const char* const end = p + chunk.size();
  while (p != end) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* stop = nl != nullptr ? nl : end;
    const std::string_view piece(p, static_cast<std::size_t>(stop - p));

    if (overflowing_) {
      overflow_bytes_ += piece.size();
      if (!piece.empty()) overflow_cr_ = piece.back() == '\r';
    } else if (nl != nullptr && partial_.empty()) {
      Emit(piece, sink);  // zero-copy: the whole line is inside `chunk`
    } else if (const std::size_t total = partial_.size() + piece.size();
               total > max_line_ && total - max_line_ > 1) {
      // Too long even if its last byte turns out to be a stripped '\r'.
      overflowing_ = true;
      overflow_bytes_ = partial_.size() + piece.size();
      overflow_cr_ = piece.empty() ? partial_.back() == '\r' : piece.back() == '\r';
      Release();
    } else {
      // Grows geometrically but never past the cap: a line at the cap costs
      // one buffer of the cap's size, not the next power of two.
      if (!partial_.Append(piece, max_line_ + 1)) {
        overflowing_ = true;  // out of memory: treat it like an oversized line
        overflow_bytes_ = total;
        overflow_cr_ = !piece.empty() && piece.back() == '\r';
        Release();
      } else if (nl != nullptr) {
        Emit(partial_.view(), sink);
        Release();
      }
    }

    if (nl == nullptr) break;
    if (overflowing_) FinishOverflow(sink);
    p = nl + 1;
  }
}

void LineFramer::Finish(Sink& sink) {
  if (overflowing_) {
    FinishOverflow(sink);
  } else if (!partial_.empty()) {
    std::string line(partial_.view());
    Release();  // leave the framer reusable even if sink re-enters
    Emit(line, sink);
  }
}

void LineFramer::FinishOverflow(Sink& sink) {
  const std::size_t bytes = overflow_bytes_ - (overflow_cr_ ? 1 : 0);
  overflowing_ = false;
  overflow_bytes_ = 0;
  overflow_cr_ = false;
  sink.OnOverflow(bytes);
}

void LineFramer::Emit(std::string_view line, Sink& sink) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  if (line.size() > max_line_) {
    sink.OnOverflow(line.size());
  } else {
    sink.OnLine(line);
  }
}

}  // namespace mcpr
