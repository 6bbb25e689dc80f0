#include "jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "crypto.h"

namespace mcpr {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// EVP_PKEY_keygen with a key-type-specific setup step.
template <typename Setup>
Pkey Generate(const char* type, Setup setup) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && setup(ctx) &&
      EVP_PKEY_keygen(ctx, &key) != 1) {
    key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  return Pkey(key);
}

Pkey GenerateEc(const char* group) {
  return Generate("EC", [group](EVP_PKEY_CTX* ctx) {
    return EVP_PKEY_CTX_set_group_name(ctx, group) == 1;
  });
}

Pkey GenerateRsa(unsigned bits) {
  return Generate("RSA", [bits](EVP_PKEY_CTX* ctx) {
    return EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, static_cast<int>(bits)) == 1;
  });
}

std::string PrivatePem(EVP_PKEY* key, bool traditional = false,
                       const char* passphrase = nullptr) {
  BIO* bio = BIO_new(BIO_s_mem());
  int ok = 0;
  if (passphrase != nullptr) {
    ok = PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), passphrase,
                                       static_cast<int>(std::strlen(passphrase)), nullptr,
                                       nullptr);
  } else if (traditional) {
    ok = PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    ok = PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out = ok == 1 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
  BIO_free(bio);
  return out;
}

std::string PublicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::vector<std::string> SplitJwt(const std::string& jwt) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = jwt.find('.', start);
    parts.push_back(jwt.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Raw R||S (64 bytes) -> DER, for EVP_DigestVerify.
std::string RawToDer(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

bool Verify(EVP_PKEY* key, const std::string& signing_input, const std::string& sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

boost::json::object DecodeJson(const std::string& b64) {
  const std::optional<std::string> bytes = Base64UrlDecode(b64);
  if (!bytes) return {};
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*bytes, ec);
  if (ec || !v.is_object()) return {};
  return v.get_object();
}

constexpr const char* kClaims =
    R"({"iss":"client-1","sub":"client-1","aud":"https://auth.example.com/token","exp":1900000000,"jti":"x"})";

TEST(JwtTest, Es256SignsAndVerifies) {
  Pkey key = GenerateEc("P-256");
  ASSERT_TRUE(key);
  std::string err;
  const auto jwt = SignJwt(PrivatePem(key.get()), "ES256", R"({"kid":"k1"})", kClaims, &err);
  ASSERT_TRUE(jwt.has_value()) << err;
  const auto parts = SplitJwt(*jwt);
  ASSERT_EQ(parts.size(), 3u);
  const boost::json::object header = DecodeJson(parts[0]);
  EXPECT_EQ(header.at("alg"), "ES256");
  EXPECT_EQ(header.at("typ"), "JWT");
  EXPECT_EQ(header.at("kid"), "k1");
  EXPECT_EQ(Base64UrlDecode(parts[1]), std::string(kClaims));
  const std::optional<std::string> sig = Base64UrlDecode(parts[2]);
  ASSERT_TRUE(sig.has_value());
  ASSERT_EQ(sig->size(), 64u);  // raw R||S, not DER
  EXPECT_TRUE(Verify(key.get(), parts[0] + "." + parts[1], RawToDer(*sig)));
  // A different payload must not verify with that signature.
  EXPECT_FALSE(Verify(key.get(), parts[0] + "." + parts[1] + "x", RawToDer(*sig)));
  // And another key must not verify it.
  Pkey other = GenerateEc("P-256");
  EXPECT_FALSE(Verify(other.get(), parts[0] + "." + parts[1], RawToDer(*sig)));
}

TEST(JwtTest, Es256ManySignaturesAlways64Bytes) {
  // R or S with leading zero bytes must still be padded to 32 bytes each.
  Pkey key = GenerateEc("P-256");
  ASSERT_TRUE(key);
  const std::string pem = PrivatePem(key.get(), /*traditional=*/true);
  for (int i = 0; i < 200; ++i) {
    std::string err;
    const std::string claims = R"({"n":)" + std::to_string(i) + "}";
    const auto jwt = SignJwt(pem, "ES256", "", claims, &err);
    ASSERT_TRUE(jwt.has_value()) << err;
    const auto parts = SplitJwt(*jwt);
    const auto sig = Base64UrlDecode(parts[2]);
    ASSERT_TRUE(sig.has_value());
    ASSERT_EQ(sig->size(), 64u);
    ASSERT_TRUE(Verify(key.get(), parts[0] + "." + parts[1], RawToDer(*sig))) << i;
  }
}

TEST(JwtTest, Rs256SignsAndVerifies) {
  Pkey key = GenerateRsa(2048);
  ASSERT_TRUE(key);
  std::string err;
  const auto jwt = SignJwt(PrivatePem(key.get()), "RS256",
                           R"({"typ":"oauth-id-jag+jwt","kid":"r"})", kClaims, &err);
  ASSERT_TRUE(jwt.has_value()) << err;
  const auto parts = SplitJwt(*jwt);
  ASSERT_EQ(parts.size(), 3u);
  const boost::json::object header = DecodeJson(parts[0]);
  EXPECT_EQ(header.at("alg"), "RS256");
  EXPECT_EQ(header.at("typ"), "oauth-id-jag+jwt");
  EXPECT_EQ(header.size(), 3u);
  const auto sig = Base64UrlDecode(parts[2]);
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(sig->size(), 256u);
  EXPECT_TRUE(Verify(key.get(), parts[0] + "." + parts[1], *sig));
  std::string tampered = *sig;
  tampered[10] = static_cast<char>(tampered[10] ^ 1);
  EXPECT_FALSE(Verify(key.get(), parts[0] + "." + parts[1], tampered));
}

TEST(JwtTest, HeaderIsCompactWithAlgFirst) {
  Pkey key = GenerateEc("P-256");
  std::string err;
  const auto jwt = SignJwt(PrivatePem(key.get()), "ES256", "", "{}", &err);
  ASSERT_TRUE(jwt.has_value()) << err;
  EXPECT_EQ(Base64UrlDecode(SplitJwt(*jwt)[0]), std::string(R"({"alg":"ES256","typ":"JWT"})"));
}

TEST(JwtTest, KeyAlgorithmMismatchRejected) {
  Pkey ec = GenerateEc("P-256");
  Pkey ec384 = GenerateEc("P-384");
  Pkey rsa = GenerateRsa(2048);
  Pkey small_rsa = GenerateRsa(1024);
  ASSERT_TRUE(ec && ec384 && rsa && small_rsa);
  std::string err;
  EXPECT_FALSE(SignJwt(PrivatePem(rsa.get()), "ES256", "", kClaims, &err).has_value());
  EXPECT_NE(err.find("P-256"), std::string::npos) << err;
  EXPECT_FALSE(SignJwt(PrivatePem(ec384.get()), "ES256", "", kClaims, &err).has_value());
  EXPECT_FALSE(SignJwt(PrivatePem(ec.get()), "RS256", "", kClaims, &err).has_value());
  EXPECT_FALSE(SignJwt(PrivatePem(small_rsa.get()), "RS256", "", kClaims, &err).has_value());
  EXPECT_NE(err.find("2048"), std::string::npos) << err;
}

TEST(JwtTest, BadInputsRejected) {
  Pkey ec = GenerateEc("P-256");
  const std::string pem = PrivatePem(ec.get());
  std::string err;
  EXPECT_FALSE(SignJwt(pem, "HS256", "", kClaims, &err).has_value());
  EXPECT_FALSE(SignJwt(pem, "none", "", kClaims, &err).has_value());
  EXPECT_FALSE(SignJwt(pem, "es256", "", kClaims, &err).has_value());
  EXPECT_FALSE(SignJwt(pem, "ES256", "", "[1]", &err).has_value());
  EXPECT_FALSE(SignJwt(pem, "ES256", "", "not json", &err).has_value());
  EXPECT_FALSE(SignJwt(pem, "ES256", "[]", kClaims, &err).has_value());
  EXPECT_FALSE(SignJwt(pem, "ES256", R"({"alg":"none"})", kClaims, &err).has_value());
  EXPECT_TRUE(SignJwt(pem, "ES256", R"({"alg":"ES256"})", kClaims, &err).has_value()) << err;
  EXPECT_FALSE(SignJwt("", "ES256", "", kClaims, &err).has_value());
  EXPECT_FALSE(SignJwt("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "ES256",
                       "", kClaims, &err)
                   .has_value());
  EXPECT_FALSE(SignJwt(PublicPem(ec.get()), "ES256", "", kClaims, &err).has_value());
  EXPECT_FALSE(err.empty());
}

TEST(JwtTest, EncryptedKeyRefusedWithoutPrompt) {
  Pkey ec = GenerateEc("P-256");
  const std::string pem = PrivatePem(ec.get(), false, "hunter22");
  ASSERT_NE(pem.find("ENCRYPTED"), std::string::npos);
  std::string err;
  EXPECT_FALSE(SignJwt(pem, "ES256", "", kClaims, &err).has_value());
}

std::string MakeJwt(const std::string& payload) {
  return Base64Url(R"({"alg":"none"})") + "." + Base64Url(payload) + ".sig";
}

TEST(JwtExpiryTest, ReadsExp) {
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"sub":"a","exp":1700000000})")), 1700000000);
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"exp":1700000000.9})")), 1700000000);
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"exp":-1.5})")), -2);
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"exp":0})")), 0);
  EXPECT_EQ(JwtExpiry(Base64Url(R"({"alg":"none"})") + "." + Base64Url(R"({"exp":5})") + "."), 5);
}

TEST(JwtExpiryTest, ReadsExpFromSignedToken) {
  Pkey ec = GenerateEc("P-256");
  std::string err;
  const auto jwt = SignJwt(PrivatePem(ec.get()), "ES256", "", kClaims, &err);
  ASSERT_TRUE(jwt.has_value()) << err;
  EXPECT_EQ(JwtExpiry(*jwt), 1900000000);
}

TEST(JwtExpiryTest, Malformed) {
  EXPECT_EQ(JwtExpiry(""), std::nullopt);
  EXPECT_EQ(JwtExpiry("abc"), std::nullopt);
  EXPECT_EQ(JwtExpiry("a.b"), std::nullopt);
  EXPECT_EQ(JwtExpiry("a.b.c.d.e"), std::nullopt);  // JWE
  EXPECT_EQ(JwtExpiry("..."), std::nullopt);
  EXPECT_EQ(JwtExpiry("x.!!!.y"), std::nullopt);
  EXPECT_EQ(JwtExpiry("x." + Base64Url("not json") + ".y"), std::nullopt);
  EXPECT_EQ(JwtExpiry(MakeJwt("[1]")), std::nullopt);
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"sub":"a"})")), std::nullopt);
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"exp":"1700000000"})")), std::nullopt);
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"exp":null})")), std::nullopt);
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"exp":18446744073709551615})")), std::nullopt);
  EXPECT_EQ(JwtExpiry(MakeJwt(R"({"exp":1e300})")), std::nullopt);
  // Standard base64 ('+', '/') is not base64url.
  const std::string standard = Base64(R"({"exp":1700000000,"x":"???>>>"})");
  ASSERT_NE(standard.find_first_of("+/"), std::string::npos) << standard;
  EXPECT_EQ(JwtExpiry("a." + standard + ".c"), std::nullopt);
}

TEST(JwtNumericDateTest, ReadsAnyClaim) {
  const std::string jwt = MakeJwt(R"({"iat":1700000000,"exp":1700000060.5,"nbf":"soon"})");
  EXPECT_EQ(JwtNumericDate(jwt, "iat"), 1700000000);
  EXPECT_EQ(JwtNumericDate(jwt, "exp"), 1700000060);
  EXPECT_EQ(JwtNumericDate(jwt, "nbf"), std::nullopt);  // not a number
  EXPECT_EQ(JwtNumericDate(jwt, "auth_time"), std::nullopt);
  EXPECT_EQ(JwtNumericDate("a.b", "iat"), std::nullopt);
}

}  // namespace
}  // namespace mcpr
