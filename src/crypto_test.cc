#include "crypto.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace mcpr {
namespace {

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

std::string ToHex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

// RFC 1321 §A.5 test suite.
TEST(CryptoTest, Md5Rfc1321Vectors) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5Hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Md5Hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Md5Hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Md5Hex("1234567890123456789012345678901234567890"
                   "1234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(CryptoTest, Md5HandlesEmbeddedNul) {
  // md5("a\0b") must differ from md5("a"): the length is not strlen().
  EXPECT_NE(Md5Hex(std::string_view("a\0b", 3)), Md5Hex("a"));
  EXPECT_EQ(Md5Hex(std::string_view("a\0b", 3)).size(), 32u);
}

// FIPS 180-2 / NIST CSRC example vectors.
TEST(CryptoTest, Sha256FipsVectors) {
  EXPECT_EQ(ToHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(ToHex(Sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(Sha256("abc").size(), 32u);
}

// RFC 4648 §10.
TEST(CryptoTest, Base64Rfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> v = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, out] : v) EXPECT_EQ(Base64(in), out) << in;
}

TEST(CryptoTest, Base64UrlRfc4648VectorsUnpadded) {
  const std::vector<std::pair<std::string, std::string>> v = {
      {"", ""},        {"f", "Zg"},          {"fo", "Zm8"},       {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, out] : v) {
    EXPECT_EQ(Base64Url(in), out) << in;
    auto back = Base64UrlDecode(out);
    ASSERT_TRUE(back.has_value()) << out;
    EXPECT_EQ(*back, in);
  }
}

TEST(CryptoTest, AlphabetsDifferOnlyInTheLastTwoSymbols) {
  const std::string all = Bytes({0xfb, 0xff, 0xbf});  // 111110 111111 111110 111111
  EXPECT_EQ(Base64(all), "+/+/");
  EXPECT_EQ(Base64Url(all), "-_-_");
  EXPECT_EQ(Base64(Bytes({0xff})), "/w==");
  EXPECT_EQ(Base64Url(Bytes({0xff})), "_w");
}

TEST(CryptoTest, Base64UrlDecodeRoundTripsAllByteValues) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 17) {
    const std::string in = all.substr(0, len);
    auto back = Base64UrlDecode(Base64Url(in));
    ASSERT_TRUE(back.has_value()) << len;
    EXPECT_EQ(*back, in);
  }
}

TEST(CryptoTest, Base64UrlDecodeAcceptsCorrectPadding) {
  EXPECT_EQ(Base64UrlDecode("Zg==").value_or("x"), "f");
  EXPECT_EQ(Base64UrlDecode("Zm8=").value_or("x"), "fo");
}

TEST(CryptoTest, Base64UrlDecodeRejectsMalformed) {
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());        // 4k+1 length
  EXPECT_FALSE(Base64UrlDecode("Zg=").has_value());      // short padding
  EXPECT_FALSE(Base64UrlDecode("Zg===").has_value());    // too much padding
  EXPECT_FALSE(Base64UrlDecode("Z===").has_value());
  EXPECT_FALSE(Base64UrlDecode("=").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm9v+w").has_value());   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm9v/w").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm 9v").has_value());    // whitespace
  EXPECT_FALSE(Base64UrlDecode("Zm=9v").has_value());    // '=' inside
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());       // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("Zm9").has_value());
  EXPECT_TRUE(Base64UrlDecode("").has_value());
}

// RFC 7636 Appendix B (the values as printed in the RFC).
TEST(CryptoTest, PkceRfc7636AppendixB) {
  const std::string octets =
      Bytes({116, 24,  223, 180, 151, 153, 224, 37, 79, 250, 96,  125, 216, 173, 187, 186,
             22,  212, 37,  77,  105, 214, 191, 240, 91, 88,  5,   88,  83,  132, 141, 121});
  const std::string verifier = Base64Url(octets);
  EXPECT_EQ(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  const std::string digest = Sha256(verifier);
  EXPECT_EQ(digest, Bytes({19,  211, 30,  150, 26,  26,  216, 236, 47,  22,  177,
                           12,  76,  152, 46,  8,   118, 168, 120, 173, 109, 241,
                           68,  86,  110, 225, 137, 74,  203, 112, 249, 195}));
  EXPECT_EQ(Base64Url(digest), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(CryptoTest, RandomBytesFillsAndVaries) {
  unsigned char a[32] = {};
  unsigned char b[32] = {};
  ASSERT_TRUE(RandomBytes(a, sizeof a));
  ASSERT_TRUE(RandomBytes(b, sizeof b));
  EXPECT_NE(std::string(reinterpret_cast<char*>(a), 32), std::string(reinterpret_cast<char*>(b), 32));
  EXPECT_TRUE(RandomBytes(a, 0));
}

TEST(CryptoTest, RandomBase64UrlHasPkceShape) {
  const std::string v = RandomBase64Url(32);
  ASSERT_EQ(v.size(), 43u);  // RFC 7636 minimum verifier length
  for (char c : v) {
    EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << v;
  }
  EXPECT_NE(v, RandomBase64Url(32));
  EXPECT_EQ(Base64UrlDecode(v).value_or("").size(), 32u);
}

TEST(CryptoTest, UuidV4FormatAndVersionBits) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string u = RandomUuidV4();
    ASSERT_EQ(u.size(), 36u) << u;
    for (std::size_t j = 0; j < u.size(); ++j) {
      if (j == 8 || j == 13 || j == 18 || j == 23) {
        EXPECT_EQ(u[j], '-') << u;
      } else {
        EXPECT_TRUE((u[j] >= '0' && u[j] <= '9') || (u[j] >= 'a' && u[j] <= 'f')) << u;
      }
    }
    EXPECT_EQ(u[14], '4') << u;                                   // version
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;  // variant 10xx
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("state-123", "state-123"));
  EXPECT_FALSE(ConstantTimeEquals("state-123", "state-124"));
  EXPECT_FALSE(ConstantTimeEquals("state-123", "state-12"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace mcpr
