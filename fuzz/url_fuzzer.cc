// libFuzzer target for the URL helpers in url.h (server URLs from the
// command line, SSE `endpoint` events and redirects from the server,
// metadata URLs from discovery documents).
// Input: "<a>\n<b>" (b empty when there is no newline; a may not contain
// '\n', b may). Properties:
//  - never crashes (ASan/UBSan);
//  - an accepted URL serializes (Href) to text that re-parses to the same
//    components (every ParsedUrl field), so Href is a fixed point and
//    NormalizeUrl == ParseUrl + Href; effective_port is the port or the
//    scheme default; the path starts with '/'; UrlPath agrees;
//  - Origin(a) parses to the same scheme/host/port with path "/", and
//    SameOrigin(a, Href(a)) and SameOrigin(a, Origin(a)) hold;
//  - SameOrigin is symmetric and false unless both parse, and true exactly
//    when the origins are equal;
//  - ResolveReference(a, b) fails unless a parses; what it returns is a
//    normalized URL; resolving Href(a) (absolute) against a gives Href(a),
//    and resolving "" gives Href(a) without its fragment.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "url.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

bool SameParts(const mcpr::ParsedUrl& x, const mcpr::ParsedUrl& y) {
  return x.scheme == y.scheme && x.host == y.host && x.port == y.port && x.path == y.path && x.query == y.query &&
         x.fragment == y.fragment && x.user == y.user && x.password == y.password && x.has_query == y.has_query &&
         x.has_fragment == y.has_fragment && x.effective_port == y.effective_port;
}

void CheckAccepted(std::string_view text, const mcpr::ParsedUrl& p) {
  Check(p.scheme == "http" || p.scheme == "https", "scheme");
  Check(!p.host.empty(), "host");
  Check(!p.path.empty() && p.path[0] == '/', "path starts with /");
  Check(p.effective_port == (p.port.empty() ? (p.scheme == "https" ? 443 : 80) : std::atoi(p.port.c_str())),
        "effective port");
  Check(p.port != (p.scheme == "https" ? "443" : "80"), "default port dropped");
  const std::string href = mcpr::Href(p);
  mcpr::ParsedUrl again;
  std::string err;
  if (!mcpr::ParseUrl(href, &again, &err)) {
    std::fprintf(stderr, "Href does not re-parse: %s (%s)\n", href.c_str(), err.c_str());
    std::abort();
  }
  if (!SameParts(p, again)) {
    std::fprintf(stderr, "re-parse differs: %s -> %s\n", href.c_str(), mcpr::Href(again).c_str());
    std::abort();
  }
  Check(mcpr::Href(again) == href, "Href is a fixed point");
  std::string norm;
  Check(mcpr::NormalizeUrl(text, &norm, nullptr) && norm == href, "NormalizeUrl == ParseUrl + Href");
  Check(mcpr::UrlPath(text) == p.path, "UrlPath");

  const std::string origin = mcpr::Origin(p);
  mcpr::ParsedUrl po;
  Check(mcpr::ParseUrl(origin, &po, nullptr), "Origin parses");
  Check(po.scheme == p.scheme && po.host == p.host && po.port == p.port && po.path == "/" && !po.has_query &&
            !po.has_fragment && po.user.empty() && po.password.empty(),
        "Origin components");
  Check(mcpr::Origin(po) == origin, "Origin is a fixed point");
  Check(mcpr::SameOrigin(text, href), "SameOrigin(a, Href(a))");
  Check(mcpr::SameOrigin(text, origin), "SameOrigin(a, Origin(a))");

  std::string resolved;
  Check(mcpr::ResolveReference(text, href, &resolved) && resolved == href, "absolute reference resolves to itself");
  Check(mcpr::ResolveReference(text, "", &resolved), "empty reference resolves");
  mcpr::ParsedUrl no_fragment = p;
  no_fragment.has_fragment = false;
  no_fragment.fragment.clear();
  if (resolved != mcpr::Href(no_fragment)) {
    std::fprintf(stderr, "empty reference: %s -> %s\n", href.c_str(), resolved.c_str());
    std::abort();
  }
  (void)mcpr::IsLoopbackHost(p.host);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8 * 1024) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  const std::string_view a = input.substr(0, nl);
  const std::string_view b = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  mcpr::ParsedUrl pa, pb;
  std::string err;
  const bool a_ok = mcpr::ParseUrl(a, &pa, &err);
  if (a_ok) {
    CheckAccepted(a, pa);
  } else {
    Check(!err.empty(), "error message");
  }
  const bool b_ok = mcpr::ParseUrl(b, &pb, nullptr);
  if (b_ok) CheckAccepted(b, pb);

  const bool same = mcpr::SameOrigin(a, b);
  Check(same == mcpr::SameOrigin(b, a), "SameOrigin is symmetric");
  Check(same == (a_ok && b_ok && mcpr::Origin(pa) == mcpr::Origin(pb)), "SameOrigin compares origins");

  std::string out;
  if (mcpr::ResolveReference(a, b, &out)) {
    Check(a_ok, "ResolveReference needs a base");
    std::string norm;
    if (!mcpr::NormalizeUrl(out, &norm, nullptr) || norm != out) {
      std::fprintf(stderr, "resolved URL not normalized: %s -> %s\n", out.c_str(), norm.c_str());
      std::abort();
    }
  }
  (void)mcpr::IsLoopbackHost(a);
  return 0;
}
