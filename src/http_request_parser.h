// HttpRequestParser: a sans-I/O parser for the head of one HTTP/1.1 request
// (request line + header fields), for the loopback OAuth callback server.
//
// The server only needs GET, so there is no body support: once the blank
// line that ends the head has arrived the parser is done and ignores every
// later byte (the server answers with `Connection: close` and never reads a
// second request).
//
// What it accepts (RFC 9110/9112, strictly, with the RFC's optional
// leniencies where browsers and curl need them):
//   - lines end with CRLF or a bare LF; a CR anywhere else is an error;
//   - empty lines before the request line are skipped (RFC 9112 §2.2);
//   - request line: token SP origin-form SP "HTTP/1.1" | "HTTP/1.0", single
//     spaces; the target starts with '/', holds only visible ASCII
//     (0x21-0x7E) and no '#'; it is split at the first '?' into path and
//     query (both still percent-encoded);
//   - header fields: token ":" OWS value OWS; names are lower-cased;
//     values are trimmed and may hold HTAB, SP, visible ASCII and obs-text
//     (0x80-0xFF), nothing else; obs-fold (a line starting with SP/HTAB)
//     and whitespace before the colon are errors (RFC 9112 §5.1-5.2);
//   - an HTTP/1.1 request must carry exactly one Host field, an HTTP/1.0
//     request at most one (RFC 9112 §3.2).
//
// Limits and error statuses (error_status()):
//   400  malformed request line or header, missing/duplicate Host, bad version
//   405  any method other than GET (decided once the head is complete, so a
//        malformed head is still a 400)
//   414  the request line alone does not fit in the size cap
//   431  the head (request line + fields + blank line) exceeds the cap
//        (8 KiB by default, counting every byte including leading blank
//        lines) or has more than kMaxFields fields
// The outcome depends only on the bytes, never on how they were split
// across Feed() calls (the tests split at every offset; the fuzzer checks).
// The query is left encoded: ParseFormUrlEncoded / ParseCallbackQuery
// (oauth_messages.h) decode it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpr {

struct HttpRequestHead {
  std::string method;
  std::string target;  // as sent: path[?query]
  std::string path;    // up to the first '?', still percent-encoded
  std::string query;   // after the first '?', "" if none
  bool has_query = false;
  int version_minor = 1;  // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  /// First field with this lower-case name, or nullptr.
  const std::string* Find(std::string_view lower_name) const;
};

class HttpRequestParser {
 public:
  enum class Result { kNeedMore, kDone, kError };
  static constexpr std::size_t kDefaultMaxBytes = 8192;
  static constexpr std::size_t kMaxFields = 100;

  explicit HttpRequestParser(std::size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}

  /// Feeds the next bytes. Returns the state after them; kDone and kError
  /// are final (later calls return the same and consume nothing).
  /// *consumed (if non-null) is set to how many of `data` belonged to the
  /// head: all of them unless this call completed the head.
  Result Feed(std::string_view data, std::size_t* consumed = nullptr);

  Result result() const { return result_; }
  /// 400, 405, 414 or 431 when result() is kError, else 0.
  int error_status() const { return error_status_; }
  /// A short English reason for logs (never contains request bytes).
  const std::string& error_reason() const { return error_reason_; }
  /// The parsed head; complete only when result() is kDone (405 also fills it).
  const HttpRequestHead& request() const { return head_; }
  /// Bytes of the head received so far (capped at max_bytes).
  std::size_t bytes_seen() const { return total_; }

 private:
  Result Fail(int status, const char* reason);
  bool ParseRequestLine(std::string_view line);
  bool ParseField(std::string_view line);
  Result FinishHead();

  std::size_t max_bytes_;
  std::size_t total_ = 0;     // bytes consumed into the head
  std::string line_;          // the current, incomplete line
  bool have_request_line_ = false;
  Result result_ = Result::kNeedMore;
  int error_status_ = 0;
  std::string error_reason_;
  HttpRequestHead head_;
};

}  // namespace mcpr
