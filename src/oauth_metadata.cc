#include "oauth_metadata.h"

#include <boost/json.hpp>

#include <algorithm>
#include <utility>

#include "url.h"

namespace mcpr {

namespace json = boost::json;

namespace {

constexpr std::string_view kPrmWellKnown = "/.well-known/oauth-protected-resource";
constexpr std::string_view kOauthAsWellKnown = "/.well-known/oauth-authorization-server";
constexpr std::string_view kOidcWellKnown = "/.well-known/openid-configuration";

bool Fail(std::string* err, std::string why) {
  if (err != nullptr) *err = std::move(why);
  return false;
}

// The path with one trailing '/' removed; "" when that leaves "" or "/"
// (npm's `path && path !== "/"`).
std::string TrimmedPath(const ParsedUrl& url) {
  std::string path = url.path;
  if (!path.empty() && path.back() == '/') path.pop_back();
  if (path == "/") path.clear();
  return path;
}

void PushUnique(std::vector<std::string>* list, std::string url) {
  if (std::find(list->begin(), list->end(), url) == list->end()) list->push_back(std::move(url));
}

bool ParseObject(std::string_view text, json::value* out, std::string* err) {
  json::parse_options opt;
  opt.max_depth = 64;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opt);
  if (ec) return Fail(err, "not valid JSON (" + ec.message() + ")");
  if (!v.is_object()) return Fail(err, "not a JSON object");
  *out = std::move(v);
  return true;
}

std::string ToStd(const json::string& s) { return std::string(s.data(), s.size()); }

// Reads an optional array of strings. *present tells whether the member
// exists. False if it exists with another shape.
bool ReadStringArray(const json::object& obj, std::string_view key, std::vector<std::string>* out,
                     bool* present, std::string* err) {
  out->clear();
  *present = false;
  const json::value* v = obj.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return true;
  if (!v->is_array()) return Fail(err, std::string(key) + " is not an array");
  for (const json::value& item : v->get_array()) {
    if (!item.is_string()) return Fail(err, std::string(key) + " holds a non-string");
    out->push_back(ToStd(item.get_string()));
  }
  *present = true;
  return true;
}

// Reads an optional string member; false if present with another type.
bool ReadString(const json::object& obj, std::string_view key, std::string* out, bool* present,
                std::string* err) {
  out->clear();
  *present = false;
  const json::value* v = obj.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return true;
  if (!v->is_string()) return Fail(err, std::string(key) + " is not a string");
  *out = ToStd(v->get_string());
  *present = true;
  return true;
}

bool ReadTrue(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(json::string_view(key.data(), key.size()));
  return v != nullptr && v->is_bool() && v->get_bool();
}

// An endpoint URL must be http(s), without a fragment, and https unless the
// host is loopback (or insecure http is allowed). Stores the normalized URL.
bool CheckEndpoint(std::string_view key, const std::string& value, bool allow_insecure_http,
                   std::string* out, std::string* err) {
  ParsedUrl url;
  std::string why;
  if (!ParseUrl(value, &url, &why)) {
    return Fail(err, std::string(key) + " is not an http(s) URL: " + why);
  }
  if (url.has_fragment) return Fail(err, std::string(key) + " has a fragment");
  if (url.scheme != "https" && !allow_insecure_http && !IsLoopbackHost(url.host)) {
    return Fail(err, std::string(key) + " must use https (http only to loopback hosts)");
  }
  *out = Href(url);
  return true;
}

bool IssuerMatches(std::string_view got, std::string_view want, bool allow_slash) {
  if (got == want) return true;
  if (!allow_slash) return false;
  auto drop_one = [](std::string_view s) {
    return (!s.empty() && s.back() == '/') ? s.substr(0, s.size() - 1) : s;
  };
  return (got.size() == want.size() + 1 && drop_one(got) == want) ||
         (want.size() == got.size() + 1 && drop_one(want) == got);
}

}  // namespace

std::vector<std::string> ProtectedResourceMetadataUrls(std::string_view server_url,
                                                       std::string_view header_resource_metadata) {
  std::vector<std::string> out;
  if (!header_resource_metadata.empty()) {
    ParsedUrl hdr;
    if (ParseUrl(header_resource_metadata, &hdr, nullptr)) {
      hdr.has_fragment = false;
      hdr.fragment.clear();
      out.push_back(Href(hdr));
    }
  }
  ParsedUrl url;
  if (!ParseUrl(server_url, &url, nullptr)) return out;
  const std::string origin = Origin(url);
  const std::string path = TrimmedPath(url);
  if (!path.empty()) {
    std::string inserted = origin + std::string(kPrmWellKnown) + path;
    if (url.has_query && !url.query.empty()) inserted += "?" + url.query;
    PushUnique(&out, std::move(inserted));
  }
  PushUnique(&out, origin + std::string(kPrmWellKnown));
  return out;
}

bool ParsePrm(std::string_view text, ProtectedResourceMetadata* out, std::string* err) {
  json::value doc;
  if (!ParseObject(text, &doc, err)) return false;
  const json::object& obj = doc.get_object();
  ProtectedResourceMetadata prm;
  bool present = false;
  if (!ReadString(obj, "resource", &prm.resource, &present, err)) return false;
  if (prm.resource.empty()) return Fail(err, "resource is missing");
  if (!ReadStringArray(obj, "authorization_servers", &prm.authorization_servers, &present, err)) {
    return false;
  }
  if (prm.authorization_servers.empty()) return Fail(err, "authorization_servers is missing or empty");
  for (const std::string& as : prm.authorization_servers) {
    ParsedUrl url;
    std::string why;
    if (!ParseUrl(as, &url, &why)) {
      return Fail(err, "authorization_servers holds a non-http(s) URL: " + why);
    }
  }
  if (!ReadStringArray(obj, "scopes_supported", &prm.scopes_supported, &prm.has_scopes_supported,
                       err)) {
    return false;
  }
  *out = std::move(prm);
  return true;
}

bool ResourceMatches(std::string_view prm_resource, std::string_view server_url) {
  ParsedUrl resource;
  ParsedUrl server;
  if (!ParseUrl(prm_resource, &resource, nullptr) || !ParseUrl(server_url, &server, nullptr)) {
    return false;
  }
  if (resource.has_fragment) return false;
  if (resource.scheme != server.scheme || resource.host != server.host ||
      resource.effective_port != server.effective_port) {
    return false;
  }
  std::string want = resource.path;
  std::string have = server.path;
  if (want.empty() || want.back() != '/') want.push_back('/');
  if (have.empty() || have.back() != '/') have.push_back('/');
  return have.compare(0, want.size(), want) == 0;
}

std::vector<std::string> AuthServerMetadataUrls(std::string_view issuer_url) {
  ParsedUrl url;
  if (!ParseUrl(issuer_url, &url, nullptr)) return {};
  const std::string origin = Origin(url);
  const std::string path = TrimmedPath(url);
  if (path.empty()) {
    return {origin + std::string(kOauthAsWellKnown), origin + std::string(kOidcWellKnown)};
  }
  return {origin + std::string(kOauthAsWellKnown) + path,
          origin + std::string(kOidcWellKnown) + path,
          origin + path + std::string(kOidcWellKnown)};
}

bool ParseAuthServerMetadata(std::string_view text, std::string_view expected_issuer,
                             AuthServerMetadata* out, std::string* err,
                             const AsMetadataOptions& options) {
  json::value doc;
  if (!ParseObject(text, &doc, err)) return false;
  const json::object& obj = doc.get_object();
  AuthServerMetadata md;
  bool present = false;
  if (!ReadString(obj, "issuer", &md.issuer, &present, err)) return false;
  if (!present) return Fail(err, "issuer is missing");
  if (!IssuerMatches(md.issuer, expected_issuer, options.allow_issuer_trailing_slash)) {
    return Fail(err, "issuer \"" + md.issuer + "\" does not match the expected issuer \"" +
                         std::string(expected_issuer) + "\"");
  }

  struct Endpoint {
    std::string_view key;
    std::string* field;
  };
  const Endpoint endpoints[] = {
      {"authorization_endpoint", &md.authorization_endpoint},
      {"token_endpoint", &md.token_endpoint},
      {"registration_endpoint", &md.registration_endpoint},
      {"device_authorization_endpoint", &md.device_authorization_endpoint},
      {"revocation_endpoint", &md.revocation_endpoint},
  };
  for (const Endpoint& e : endpoints) {
    std::string raw;
    if (!ReadString(obj, e.key, &raw, &present, err)) return false;
    if (!present) continue;
    if (!CheckEndpoint(e.key, raw, options.allow_insecure_http, e.field, err)) return false;
  }
  if (md.token_endpoint.empty()) return Fail(err, "token_endpoint is missing");

  struct List {
    std::string_view key;
    std::vector<std::string>* field;
    bool* present;
  };
  bool ignored = false;
  const List lists[] = {
      {"scopes_supported", &md.scopes_supported, &md.has_scopes_supported},
      {"response_types_supported", &md.response_types_supported, &ignored},
      {"grant_types_supported", &md.grant_types_supported, &ignored},
      {"code_challenge_methods_supported", &md.code_challenge_methods_supported,
       &md.has_code_challenge_methods},
      {"token_endpoint_auth_methods_supported", &md.token_endpoint_auth_methods_supported,
       &ignored},
  };
  for (const List& l : lists) {
    if (!ReadStringArray(obj, l.key, l.field, l.present, err)) return false;
  }
  md.client_id_metadata_document_supported = ReadTrue(obj, "client_id_metadata_document_supported");
  md.authorization_response_iss_parameter_supported =
      ReadTrue(obj, "authorization_response_iss_parameter_supported");
  md.raw_json = std::string(text);
  *out = std::move(md);
  return true;
}

AuthServerMetadata LegacyDefaultMetadata(std::string_view server_url) {
  AuthServerMetadata md;
  ParsedUrl url;
  if (!ParseUrl(server_url, &url, nullptr)) return md;
  const std::string origin = Origin(url);
  md.issuer = origin;
  md.authorization_endpoint = origin + "/authorize";
  md.token_endpoint = origin + "/token";
  md.registration_endpoint = origin + "/register";
  md.response_types_supported = {"code"};
  md.grant_types_supported = {"authorization_code", "refresh_token"};
  md.code_challenge_methods_supported = {"S256"};
  md.has_code_challenge_methods = true;
  return md;
}

}  // namespace mcpr
