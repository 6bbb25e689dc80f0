#include "jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include <climits>
#include <cmath>
#include <memory>
#include <utility>

#include "crypto.h"

namespace mcpr {

namespace json = boost::json;

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

std::optional<std::string> Fail(std::string* err, std::string why) {
  if (err != nullptr) *err = std::move(why);
  ERR_clear_error();
  return std::nullopt;
}

// "what: <last OpenSSL error>".
std::string WithOpenSslError(std::string_view what) {
  std::string out(what);
  const unsigned long code = ERR_peek_last_error();
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  return out;
}

int RefusePassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

bool ParseJsonObject(std::string_view text, json::value* out) {
  json::parse_options opt;
  opt.max_depth = 64;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opt);
  if (ec || !v.is_object()) return false;
  *out = std::move(v);
  return true;
}

// DER ECDSA-Sig-Value -> 64-byte R||S.
bool DerToRawP256(const std::string& der, std::string* raw) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return false;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  unsigned char out[64];
  if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32) return false;
  raw->assign(reinterpret_cast<const char*>(out), sizeof out);
  return true;
}

}  // namespace

std::optional<std::string> SignJwt(const std::string& private_key_pem, std::string_view alg,
                                   std::string_view header_json_extra,
                                   std::string_view claims_json, std::string* err) {
  ERR_clear_error();
  const bool es256 = alg == "ES256";
  if (!es256 && alg != "RS256") {
    return Fail(err, "unsupported JWS alg \"" + std::string(alg) + "\" (ES256 or RS256)");
  }

  json::object header;
  header["alg"] = json::string_view(alg.data(), alg.size());
  header["typ"] = "JWT";
  if (!header_json_extra.empty()) {
    json::value extra;
    if (!ParseJsonObject(header_json_extra, &extra)) {
      return Fail(err, "JWT header extra is not a JSON object");
    }
    for (const auto& member : extra.get_object()) {
      if (member.key() == "alg") {
        if (!member.value().is_string() ||
            member.value().get_string() != json::string_view(alg.data(), alg.size())) {
          return Fail(err, "JWT header extra sets a different alg");
        }
        continue;
      }
      header[member.key()] = member.value();
    }
  }
  json::value claims;
  if (!ParseJsonObject(claims_json, &claims)) return Fail(err, "JWT claims are not a JSON object");

  if (private_key_pem.size() > static_cast<std::size_t>(INT_MAX)) {
    return Fail(err, "private key is too large");
  }
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  if (!bio) return Fail(err, "out of memory");
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (!key) return Fail(err, WithOpenSslError("cannot read the PEM private key"));

  if (es256) {
    char group[64] = {0};
    std::size_t group_len = 0;
    if (!EVP_PKEY_is_a(key.get(), "EC") ||
        EVP_PKEY_get_group_name(key.get(), group, sizeof group, &group_len) != 1 ||
        (std::string_view(group, group_len) != "prime256v1" &&
         std::string_view(group, group_len) != "P-256")) {
      return Fail(err, "ES256 needs an EC P-256 private key");
    }
  } else {
    if (!EVP_PKEY_is_a(key.get(), "RSA")) return Fail(err, "RS256 needs an RSA private key");
    if (EVP_PKEY_get_bits(key.get()) < 2048) {
      return Fail(err, "RS256 needs an RSA key of at least 2048 bits");
    }
  }

  const std::string signing_input =
      Base64Url(json::serialize(header)) + "." + Base64Url(claims_json);

  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) return Fail(err, "out of memory");
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return Fail(err, WithOpenSslError("EVP_DigestSignInit failed"));
  }
  const auto* data = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t sig_len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &sig_len, data, signing_input.size()) != 1) {
    return Fail(err, WithOpenSslError("EVP_DigestSign failed"));
  }
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len, data,
                     signing_input.size()) != 1) {
    return Fail(err, WithOpenSslError("EVP_DigestSign failed"));
  }
  sig.resize(sig_len);
  if (es256) {
    std::string raw;
    if (!DerToRawP256(sig, &raw)) return Fail(err, "cannot convert the ECDSA signature");
    sig = std::move(raw);
  }
  return signing_input + "." + Base64Url(sig);
}

std::optional<std::int64_t> JwtExpiry(std::string_view jwt) { return JwtNumericDate(jwt, "exp"); }

std::optional<std::int64_t> JwtNumericDate(std::string_view jwt, std::string_view claim) {
  const std::size_t dot1 = jwt.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  const std::size_t dot2 = jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<std::string> payload = Base64UrlDecode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload) return std::nullopt;
  json::value doc;
  if (!ParseJsonObject(*payload, &doc)) return std::nullopt;
  const json::value* value = doc.get_object().if_contains(claim);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_double()) {
    const double d = std::floor(value->get_double());
    // [-2^63, 2^63) is exactly representable at both ends as doubles.
    if (!std::isfinite(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;  // uint64 above INT64_MAX, or not a number
}

}  // namespace mcpr
