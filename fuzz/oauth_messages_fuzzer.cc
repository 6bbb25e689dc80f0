// libFuzzer target for the parsers and gates in oauth_messages.h.
//  - FormUrlDecode(FormUrlEncode(x)) == x; encoded text holds only
//    unreserved bytes, '+', '%' and hex digits.
//  - ParseFormUrlEncoded(FormEncode(p)) == p for the pairs parsed from the
//    input when no key is empty.
//  - ParseTokenResponse / ParseOAuthError never crash; a parsed token has a
//    non-empty access_token and expires_in within [0, kMaxExpiresIn]; the
//    error message holds no control characters.
//  - ValidateBrowserUrl: an accepted URL normalizes to a string that is
//    accepted again, unchanged (idempotent), uses https or http to a
//    loopback host, and contains no byte outside the allowed set.
//  - BuildAuthorizeUrl's result, when non-empty, parses and normalizes to
//    itself; ParseCallbackQuery and IsValidState never crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "oauth_messages.h"
#include "url.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

bool NoControls(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const std::string encoded = mcpr::FormUrlEncode(input);
  for (char c : encoded) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '%';
    Check(ok, "encoded charset");
  }
  Check(mcpr::FormUrlDecode(encoded) == input, "form round trip");

  const mcpr::FormParams params = mcpr::ParseFormUrlEncoded(input);
  bool keys_ok = true;
  for (const auto& p : params) keys_ok = keys_ok && !p.first.empty();
  if (keys_ok) Check(mcpr::ParseFormUrlEncoded(mcpr::FormEncode(params)) == params, "params trip");

  mcpr::TokenResponse token;
  std::string err;
  if (mcpr::ParseTokenResponse(input, &token, &err)) {
    Check(!token.access_token.empty(), "access_token");
    if (token.expires_in) {
      Check(*token.expires_in >= 0 && *token.expires_in <= mcpr::kMaxExpiresIn, "expires_in");
    }
  } else {
    Check(!err.empty(), "token error message");
  }
  mcpr::OAuthError oauth_error;
  if (!mcpr::ParseOAuthError(static_cast<int>(size % 600), input, &oauth_error)) {
    Check(oauth_error.error == "server_error", "error code");
  }
  Check(NoControls(oauth_error.message), "message has no controls");

  for (bool allow_http : {false, true}) {
    std::string normalized;
    if (mcpr::ValidateBrowserUrl(input, allow_http, &err, &normalized)) {
      std::string again;
      Check(mcpr::ValidateBrowserUrl(normalized, allow_http, &err, &again), "accepted again");
      Check(again == normalized, "idempotent");
      mcpr::ParsedUrl u;
      Check(mcpr::ParseUrl(normalized, &u, nullptr), "parses");
      Check(u.scheme == "https" || (allow_http && mcpr::IsLoopbackHost(u.host)), "scheme");
      Check(u.user.empty() && u.password.empty(), "no userinfo");
      Check(NoControls(normalized) && normalized.find_first_of(" \"'`<>\\^{}|") == std::string::npos,
            "charset");
    }
  }

  const std::string built =
      mcpr::BuildAuthorizeUrl(input, {{"client_id", std::string(input.substr(0, 8))}, {"s", "a b"}});
  if (!built.empty()) {
    std::string norm;
    Check(mcpr::NormalizeUrl(built, &norm, nullptr), "built parses");
    if (norm != built) {
      std::fprintf(stderr, "built not normalized: %s -> %s\n", built.c_str(), norm.c_str());
      std::abort();
    }
  }

  const mcpr::CallbackParams cb = mcpr::ParseCallbackQuery(input);
  Check(!cb.has_iss || input.find("iss") != std::string_view::npos ||
            input.find('%') != std::string_view::npos,
        "iss only when present");
  if (mcpr::IsValidState(input)) Check(input.size() <= 128 && !input.empty(), "state");
  return 0;
}
