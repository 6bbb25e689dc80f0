// SseParser: the WHATWG "text/event-stream" interpretation algorithm, sans-I/O.
//
// Contract (HTML Living Standard, "Server-sent events", §9.2.6):
//  - Lines end in CRLF, LF or CR (a CR at the end of one chunk followed by
//    LF at the start of the next is ONE line end).
//  - A UTF-8 BOM at the very start of the stream is skipped.
//  - "field: value" (one leading space after ':' is removed); a line with no
//    ':' is a field with empty value; lines starting with ':' are comments.
//  - Fields: "event" sets the type, "data" appends value + '\n' to the data
//    buffer, "id" sets the last-event-id buffer unless the value contains
//    NUL, "retry" with ASCII digits only reports a reconnection time.
//    Unknown fields are ignored.
//  - A blank line dispatches: the last event id is updated even when the
//    data buffer is empty (MCP 2025-11-25 "priming" events have an id and no
//    data); if data is empty nothing else is dispatched; otherwise the final
//    '\n' of the data buffer is removed and OnEvent is called with type
//    ("message" when unset), data and the current last event id. Type and
//    data buffers are reset after every blank line.
//  - Cap: if the bytes of one event (its pending line plus its data buffer)
//    exceed max_event_bytes, Feed returns false and the parser is dead: the
//    caller must drop the stream. Memory stays bounded by the cap.
//  - An incomplete event at end of stream is discarded (per the standard).
//  - Running out of memory counts as exceeding the cap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "byte_buffer.h"

namespace mcpr {

struct SseEvent {
  std::string_view type;  // "message" if the event had no "event:" field
  std::string_view data;
  std::string_view id;    // last event id in force at dispatch ("" if none)
};

class SseParser {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void OnEvent(const SseEvent& event) = 0;
    /// "retry:" field with a valid value, in milliseconds.
    virtual void OnRetry(std::uint64_t ms) = 0;
  };

  explicit SseParser(std::size_t max_event_bytes) : max_event_(max_event_bytes) {}

  /// Feeds a chunk. Returns false once the cap was exceeded (see above).
  bool Feed(std::string_view chunk, Sink& sink);

  /// The id in force at the last blank line (what to send as Last-Event-ID
  /// on reconnect); an "id:" in an event that never completed is not used.
  const std::string& last_event_id() const { return last_event_id_; }
  bool failed() const { return failed_; }

 private:
  bool ProcessLine(std::string_view line, Sink& sink);
  bool TakeDataLine();
  std::size_t DataSize() const;
  void ResetData();
  void Dispatch(Sink& sink);
  bool Fail();

  std::size_t max_event_;
  ByteBuffer line_;             // incomplete line carried between chunks
  ByteBuffer data_;             // the data buffer, from data_start_ on
  std::size_t data_start_ = 0;  // a "data:" prefix left in data_ by TakeDataLine
  std::string type_;
  std::string id_buffer_;       // the "last event ID buffer"
  std::string last_event_id_;   // id_buffer_ as of the last blank line
  bool saw_cr_ = false;         // previous chunk ended in CR
  bool bom_checked_ = false;
  unsigned char bom_pos_ = 0;   // BOM bytes matched so far (split BOM)
  bool failed_ = false;
};

}  // namespace mcpr
