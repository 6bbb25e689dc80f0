#include "byte_buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace mcpr {
namespace {

TEST(ByteBufferTest, AppendGrowsAndKeepsBytes) {
  ByteBuffer b;
  EXPECT_TRUE(b.empty());
  std::string want;
  for (int i = 0; i < 5000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    ASSERT_TRUE(b.Append(piece));
    want += piece;
  }
  EXPECT_EQ(b.view(), want);
  EXPECT_GE(b.capacity(), b.size());
  EXPECT_LE(b.capacity(), 2 * b.size());  // geometric, not unbounded
  EXPECT_EQ(b.back(), ',');
  b.PopBack();
  EXPECT_EQ(b.view(), want.substr(0, want.size() - 1));
}

TEST(ByteBufferTest, LimitStopsGrowthAtTheCapNotPastIt) {
  ByteBuffer b;
  const std::string piece(1000, 'x');
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(b.Append(piece, 10000));
  EXPECT_EQ(b.size(), 10000u);
  EXPECT_EQ(b.capacity(), 10000u);  // a message exactly at the cap costs one cap-sized buffer
  ASSERT_TRUE(b.Append("y", 10000));  // past the limit: grows to what is needed
  EXPECT_EQ(b.size(), 10001u);
  EXPECT_EQ(b.capacity(), 10001u);
}

TEST(ByteBufferTest, ReserveThenAppendDoesNotReallocate) {
  ByteBuffer b;
  ASSERT_TRUE(b.Reserve(1 << 16));
  const char* before = b.data();
  const std::string piece(4096, 'z');
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(b.Append(piece));
  EXPECT_EQ(b.data(), before);
  EXPECT_EQ(b.capacity(), 1u << 16);
}

TEST(ByteBufferTest, ClearSwapMove) {
  ByteBuffer a;
  ASSERT_TRUE(a.Append(std::string(5000, 'q')));
  a.Clear(1 << 20);  // small: memory kept
  EXPECT_TRUE(a.empty());
  EXPECT_GE(a.capacity(), 5000u);
  a.Clear(100);  // over the keep size: released
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_EQ(a.data(), nullptr);

  ByteBuffer b;
  ASSERT_TRUE(a.Append("one"));
  ASSERT_TRUE(b.Append("two!"));
  a.Swap(b);
  EXPECT_EQ(a.view(), "two!");
  EXPECT_EQ(b.view(), "one");
  ByteBuffer c(std::move(a));
  EXPECT_EQ(c.view(), "two!");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  c = std::move(b);
  EXPECT_EQ(c.view(), "one");
}

TEST(ByteBufferTest, ImpossibleSizeIsRefusedAndLeavesTheBufferAlone) {
  ByteBuffer b;
  ASSERT_TRUE(b.Append("keep"));
  std::string_view huge(b.data(), SIZE_MAX - 2);  // never read: the size check refuses first
  EXPECT_FALSE(b.Append(huge));
  EXPECT_EQ(b.view(), "keep");
}

}  // namespace
}  // namespace mcpr
