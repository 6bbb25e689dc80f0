// LineFramer: splits the host's stdin byte stream into newline-delimited
// JSON-RPC messages (MCP stdio transport, spec "stdio"). Sans-I/O: it never
// reads or writes; the caller feeds bytes and receives complete lines.
//
// Contract:
//  - A line ends at '\n'. One trailing '\r' is stripped (hosts on Windows
//    may write CRLF). The terminator is not part of the line.
//  - Empty lines (after stripping) are skipped silently.
//  - A line longer than max_line bytes is an overflow: its bytes are
//    discarded as they arrive (memory stays bounded by max_line), and when
//    its terminating '\n' is seen OnOverflow(total_bytes) is called once
//    instead of OnLine. Framing then resumes with the next line.
//    "Length" is measured after stripping the '\n' and one trailing '\r',
//    and total_bytes is that same length.
//  - Lines that arrive whole inside one Feed() call are handed out as views
//    into the caller's buffer without copying; partial lines are buffered.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "byte_buffer.h"

namespace mcpr {

class LineFramer {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void OnLine(std::string_view line) = 0;
    virtual void OnOverflow(std::size_t line_bytes) = 0;
  };

  explicit LineFramer(std::size_t max_line) : max_line_(max_line) {}

  /// Feeds a chunk; calls sink for every line completed by it.
  void Feed(std::string_view chunk, Sink& sink);

  /// End of input: a final unterminated line is delivered as if it had a
  /// '\n' (or reported as overflow if too long).
  void Finish(Sink& sink);

  /// Bytes currently buffered for an incomplete line.
  std::size_t buffered() const { return partial_.size(); }

 private:
  void Emit(std::string_view line, Sink& sink);
  void Release();
  static constexpr std::size_t kKeepCapacity = 1 << 20;
  void FinishOverflow(Sink& sink);

  std::size_t max_line_;
  // Bytes of the incomplete line so far (a ByteBuffer: growing a 64 MiB
  // message is an mremap, not a copy holding the old and the new buffer).
  ByteBuffer partial_;
  std::size_t overflow_bytes_ = 0;  // > 0 while discarding an oversized line
  bool overflowing_ = false;
  bool overflow_cr_ = false;        // last discarded byte was '\r'
};

}  // namespace mcpr
