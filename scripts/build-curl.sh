#!/usr/bin/env bash
# Builds the minimal static libcurl that mcp-remote links when it is present:
# HTTP and HTTPS only, OpenSSL, the threaded resolver, IPv6, HTTP(S) proxies;
# no zlib/brotli/zstd, HTTP/2, IDN, PSL, SSH, LDAP, GSS-API, NTLM, cookies
# (ours are in cookie_jar.cc), alt-svc or HSTS.
#
# Why: Debian's libcurl4 pulls in ~25 shared libraries (gnutls via librtmp,
# krb5, ldap, ssh2, nettle, p11-kit, ...). Their mapped, touched pages were
# ~4.4 MiB of the proxy's 13 MiB resident set, for protocols it never speaks.
# This is libcurl all the same, the same version and patches as Debian's
# libcurl4 (7.88.1-10+deb12u15: upstream 7.88.1 plus Debian's security
# fixes), so behaviour is that of the library the tests ran against before.
#
# Source: deb.debian.org, the upstream tarball and Debian's patch set, both
# checked against pinned SHA-256 sums (from the package's .dsc). Output:
# .deps/curl/{include,lib/libcurl.a}, picked up by CMakeLists.txt. Idempotent:
# nothing is done when the stamp matches. When the download fails (e.g. a
# later Debian security update replaced this version in the pool) it warns
# and exits 0: the build then links the system libcurl, which works the same
# with a larger resident set. To move to a new Debian revision, update
# DEB_REV and the two sums below from the new .dsc's Checksums-Sha256.
#
# Needs: cmake, ninja, a C compiler, libssl-dev, curl, xz-utils, patch.
set -euo pipefail
cd "$(dirname "$0")/.."

UPSTREAM=7.88.1
DEB_REV=10+deb12u15
ORIG_SHA256=cdb38b72e36bc5d33d5b8810f8018ece1baa29a8f215b4495e495ded82bbf3c7
DEBIAN_SHA256=961b78bc48492c5693e4decb352ddd176f343260a8956f48b2887874048ef23b
POOL=${MCPR_DEBIAN_POOL:-http://deb.debian.org/debian/pool/main/c/curl}

ROOT=$PWD/.deps
PREFIX=$ROOT/curl
STAMP="$PREFIX/.stamp"
WANT="curl $UPSTREAM-$DEB_REV http-only openssl-static v1"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -f "$PREFIX/lib/libcurl.a" ]; then
  exit 0
fi

warn() { echo "build-curl: $*; the build will use the system libcurl" >&2; exit 0; }
mkdir -p "$ROOT"
WORK=$(mktemp -d "$ROOT/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fetch() {  # fetch FILE SHA256
  local f=$1 sum=$2
  curl -sSf --retry 2 --connect-timeout 20 --max-time 300 -o "$WORK/$f" "$POOL/$f" || return 1
  echo "$sum  $WORK/$f" | sha256sum -c --quiet - >/dev/null 2>&1 || { echo "build-curl: $f: checksum mismatch" >&2; return 1; }
}
echo "build-curl: libcurl $UPSTREAM-$DEB_REV, minimal and static, into .deps/curl" >&2
fetch "curl_$UPSTREAM.orig.tar.gz" "$ORIG_SHA256" || warn "could not download curl_$UPSTREAM.orig.tar.gz"
fetch "curl_$UPSTREAM-$DEB_REV.debian.tar.xz" "$DEBIAN_SHA256" || warn "could not download the Debian patches"

SRC="$WORK/curl-$UPSTREAM"
tar -xzf "$WORK/curl_$UPSTREAM.orig.tar.gz" -C "$WORK"
tar -xJf "$WORK/curl_$UPSTREAM-$DEB_REV.debian.tar.xz" -C "$SRC"
# Debian's series: every patch up to the marker; the ones after it turn the
# tree into the GnuTLS and NSS flavours (debian/rules pops them for OpenSSL).
while IFS= read -r p; do
  case "$p" in
    '# Do not add patches below.'*) break ;;
    '' | '#'*) continue ;;
  esac
  patch -d "$SRC" -p1 -s --no-backup-if-mismatch < "$SRC/debian/patches/$p" \
    || { echo "build-curl: Debian patch $p does not apply" >&2; exit 1; }
done < "$SRC/debian/patches/series"

# The CA locations are Debian's (as in its debian/rules); NODE_EXTRA_CA_CERTS
# is added on top at run time by http_curl.cc.
cmake -S "$SRC" -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
  -DHTTP_ONLY=ON -DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON \
  -DENABLE_THREADED_RESOLVER=ON -DENABLE_IPV6=ON -DENABLE_UNIX_SOCKETS=OFF \
  -DCURL_ZLIB=OFF -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DUSE_LIBIDN2=OFF \
  -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF \
  -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON -DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_HSTS=ON \
  -DCURL_DISABLE_NTLM=ON -DCURL_DISABLE_COOKIES=ON \
  -DCURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt -DCURL_CA_PATH=/etc/ssl/certs \
  > "$WORK/configure.log" 2>&1 || { tail -n 30 "$WORK/configure.log" >&2; exit 1; }
ninja -C "$WORK/build" > "$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; exit 1; }
rm -rf "$PREFIX"
ninja -C "$WORK/build" install > /dev/null
echo "$WANT" > "$STAMP"
grep -E 'Enabled (features|protocols|SSL)' "$WORK/configure.log" | sed 's/^-- /build-curl: /' >&2
