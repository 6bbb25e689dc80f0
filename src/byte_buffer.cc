#include "byte_buffer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace mcpr {

bool ByteBuffer::Reserve(std::size_t capacity) {
  if (capacity <= capacity_) return true;
  char* p = static_cast<char*>(std::realloc(data_, capacity));
  if (p == nullptr) return false;
  data_ = p;
  capacity_ = capacity;
  return true;
}

bool ByteBuffer::Append(std::string_view bytes, std::size_t limit) {
  if (bytes.size() > SIZE_MAX - size_) return false;
  const std::size_t need = size_ + bytes.size();
  if (need > capacity_) {
    const std::size_t doubled = capacity_ > SIZE_MAX / 2 ? SIZE_MAX : std::max<std::size_t>(capacity_ * 2, 64);
    if (!Reserve(std::min(std::max(need, doubled), std::max(need, limit)))) return false;
  }
  if (!bytes.empty()) std::memcpy(data_ + size_, bytes.data(), bytes.size());
  size_ = need;
  return true;
}

void ByteBuffer::Clear(std::size_t keep_capacity) {
  size_ = 0;
  if (capacity_ > keep_capacity) Free();
}

void ByteBuffer::Swap(ByteBuffer& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  std::swap(capacity_, other.capacity_);
}

void ByteBuffer::Free() {
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

}  // namespace mcpr
