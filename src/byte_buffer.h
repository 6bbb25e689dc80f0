// ByteBuffer: a growable byte buffer on malloc/realloc, for the buffers that
// may hold a whole big message (a stdin line, an SSE line or event, a JSON
// body, bytes received but not yet handed out).
//
// Why not std::string: std::string grows by allocate-copy-free, so while a
// 10 MiB message's buffer doubles from 8 to 16 MiB both are resident and
// 8 MiB are copied. Above the mmap threshold (fixed at 1 MiB by TuneMemory)
// glibc's realloc grows a block with mremap: no copy, and only the pages
// actually written become resident. Growth is geometric, and an optional
// limit stops it from rounding a message at the cap up past the cap.
//
// Allocation failure is reported (Append/Reserve return false, the buffer
// is unchanged) so callers can treat it like an oversized message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mcpr {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&& other) noexcept { Swap(other); }
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    if (this != &other) {
      Free();
      Swap(other);
    }
    return *this;
  }
  ~ByteBuffer() { Free(); }

  const char* data() const { return data_; }
  char* data() { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_, size_}; }
  char back() const { return data_[size_ - 1]; }

  /// Appends; the capacity grows at least geometrically, but not past
  /// max(needed size, limit). False on allocation failure (nothing changed).
  [[nodiscard]] bool Append(std::string_view bytes, std::size_t limit = SIZE_MAX);
  [[nodiscard]] bool Reserve(std::size_t capacity);
  void PopBack() { --size_; }
  /// Empties it; the memory is released when the capacity exceeds keep.
  void Clear(std::size_t keep_capacity = SIZE_MAX);
  void Swap(ByteBuffer& other) noexcept;

 private:
  void Free();
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace mcpr
