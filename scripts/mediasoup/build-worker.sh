#!/usr/bin/env bash
# Build mediasoup's C++ worker (mediasoup 3.19.3 exactly) offline from the source
# shipped in the npm package, against Debian 12's system libraries, and cache it.
#
# Usage: scripts/mediasoup/build-worker.sh <mediasoup-package-dir>   (e.g. node_modules/mediasoup)
#
# Prints the absolute path of the worker binary on the last line of stdout;
# everything else goes to stderr. Use it as MEDIASOUP_WORKER_BIN.
#
# Environment:
#   EDGEPLAY_CACHE_DIR       cache root (default: $HOME/.cache/edgeplay)
#   EDGEPLAY_FORCE_REBUILD=1 ignore (and replace) a cached binary for this key
#   EDGEPLAY_BUILD_JOBS=N    ninja -j N (default: ninja's own choice)
#   EDGEPLAY_KEEP_BUILD=1    keep the build tree (<cache>/mediasoup-worker/.work/<key>) after success
#
# See README.md next to this script.
set -euo pipefail

readonly REQUIRED_VERSION="3.19.3"
# Debian packages whose headers/libraries end up in the binary (or generate code for it).
readonly DEB_PACKAGES=(libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler)
# Needed to build, not part of the cache key.
readonly BUILD_PACKAGES=(meson ninja-build pkg-config g++ patch)

log() { printf '[build-worker] %s\n' "$*" >&2; }
die() { printf '[build-worker] ERROR: %s\n' "$*" >&2; exit 1; }

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="$(dirname "$SCRIPT_PATH")"
PATCH_FILE="$SCRIPT_DIR/mediasoup-${REQUIRED_VERSION}-debian12.patch"

[[ $# -eq 1 ]] || die "usage: $0 <path-to-mediasoup-package-dir>   (normally node_modules/mediasoup)"
[[ -d "$1" ]] || die "not a directory: $1"
PKG_DIR="$(cd "$1" && pwd -P)"
[[ -f "$PKG_DIR/package.json" ]] || die "no package.json in $PKG_DIR (expected the mediasoup npm package dir)"

# --- 1. exact version check -------------------------------------------------
pkg_name="" pkg_version=""
if command -v node >/dev/null 2>&1; then
  { read -r pkg_name; read -r pkg_version; } < <(node -e '
    const p = require(process.argv[1]); console.log(p.name || ""); console.log(p.version || "");
  ' "$PKG_DIR/package.json") || true
else
  pkg_name="$(sed -n 's/^  "name": *"\([^"]*\)".*/\1/p' "$PKG_DIR/package.json" | head -n1)"
  pkg_version="$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$PKG_DIR/package.json" | head -n1)"
fi
[[ "$pkg_name" == "mediasoup" ]] || die "$PKG_DIR/package.json is package '${pkg_name}', expected 'mediasoup'"
[[ "$pkg_version" == "$REQUIRED_VERSION" ]] ||
  die "mediasoup version is '${pkg_version}' but this script and its patch support exactly ${REQUIRED_VERSION} (pin it in package.json / the lockfile)"
[[ -f "$PKG_DIR/worker/meson.build" ]] || die "$PKG_DIR/worker/meson.build missing: the npm package has no worker sources?"
[[ -f "$PATCH_FILE" ]] || die "patch file missing: $PATCH_FILE"

# --- 2. cache key -------------------------------------------------------------
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script targets Debian 12"
key_input="mediasoup=${pkg_version}"$'\n'
key_input+="patch:$(basename "$PATCH_FILE")=$(sha256sum < "$PATCH_FILE" | cut -d' ' -f1)"$'\n'
key_input+="script=$(sha256sum < "$SCRIPT_PATH" | cut -d' ' -f1)"$'\n'
key_input+="arch=$(dpkg --print-architecture)"$'\n'
# One dpkg-query call (fast path must stay fast); keep DEB_PACKAGES order.
declare -A deb_version=()
while IFS='|' read -r p status version; do
  [[ "$status" == ii* ]] && deb_version["${p%%:*}"]="$version"
done < <(dpkg-query -W -f='${binary:Package}|${db:Status-Abbrev}|${Version}\n' "${DEB_PACKAGES[@]}" 2>/dev/null || true)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  if [[ -z "${deb_version[$p]:-}" ]]; then missing+=("$p"); continue; fi
  key_input+="${p}=${deb_version[$p]}"$'\n'
done
((${#missing[@]} == 0)) ||
  die "Debian packages not installed: ${missing[*]} (apt-get install ${DEB_PACKAGES[*]} ${BUILD_PACKAGES[*]})"
KEY="$(printf '%s' "$key_input" | sha256sum | cut -d' ' -f1)"

CACHE_ROOT="${EDGEPLAY_CACHE_DIR:-${HOME:?HOME is not set}/.cache/edgeplay}/mediasoup-worker"
KEY_DIR="$CACHE_ROOT/$KEY"
BIN="$KEY_DIR/mediasoup-worker"

# A cached binary is good if it is executable, ldd resolves every library, and it
# runs: without MEDIASOUP_VERSION in the environment the worker exits with its own
# code 41 right away (it has no --version flag).
binary_ok() {
  local bin="$1" rc=0
  [[ -f "$bin" && -x "$bin" ]] || return 1
  if ldd "$bin" 2>&1 | grep -q 'not found'; then
    log "cached binary has unresolved libraries:"; ldd "$bin" 2>&1 | grep 'not found' >&2 || true
    return 1
  fi
  env -u MEDIASOUP_VERSION "$bin" </dev/null >/dev/null 2>&1 || rc=$?
  [[ $rc -eq 41 ]] || { log "cached binary $bin did not start (exit $rc, expected 41)"; return 1; }
}

if [[ "${EDGEPLAY_FORCE_REBUILD:-}" != "1" ]] && binary_ok "$BIN"; then
  printf '%s\n' "$BIN"
  exit 0
fi

# --- 3. build (one builder per key at a time) ----------------------------------
for tool in meson ninja pkg-config c++ patch flock; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "'$tool' not found (apt-get install ${BUILD_PACKAGES[*]})"
done

mkdir -p "$CACHE_ROOT/.work"
exec 9>"$CACHE_ROOT/.lock-$KEY"
if ! flock -n 9; then
  log "another build of this key is running; waiting for its lock ($CACHE_ROOT/.lock-$KEY)"
  flock 9
fi
if [[ "${EDGEPLAY_FORCE_REBUILD:-}" != "1" ]] && binary_ok "$BIN"; then
  printf '%s\n' "$BIN"   # built by the process we waited for
  exit 0
fi

log "cache miss: building mediasoup-worker ${pkg_version} (key ${KEY})"
log "key inputs:"
printf '%s' "$key_input" | sed 's/^/[build-worker]   /' >&2

trap 'log "interrupted; rerun to resume the build"; exit 130' INT TERM HUP

WORK="$CACHE_ROOT/.work/$KEY"
SRC="$WORK/src"
BUILD="$WORK/build"
START=$SECONDS

if [[ "${EDGEPLAY_FORCE_REBUILD:-}" == "1" ]]; then rm -rf "$WORK"; fi

# Returns non-zero on failure (set -e does not apply inside it: it runs in an `if`).
resumed=0
stage_and_build() {
  resumed=0
  # Stage a patched copy of the worker sources (node_modules is never modified).
  # An interrupted run leaves $WORK behind; if staging finished, it is reused and
  # ninja resumes where it stopped.
  if [[ ! -f "$WORK/.staged" ]]; then
    rm -rf "$WORK" && mkdir -p "$SRC" || return 1
    log "copying $PKG_DIR/worker -> $SRC"
    tar -C "$PKG_DIR/worker" --exclude=./out --exclude=./pip_invoke \
      --exclude=./subprojects/packagecache -cf - . | tar -C "$SRC" -xf - || return 1
    log "applying $(basename "$PATCH_FILE")"
    patch -d "$SRC" -p1 --batch --forward --no-backup-if-mismatch -s < "$PATCH_FILE" >&2 ||
      die "patch did not apply cleanly to $PKG_DIR/worker (is it a pristine mediasoup ${REQUIRED_VERSION}?)"
    touch "$WORK/.staged" || return 1
  else
    resumed=1
    log "resuming interrupted build in $WORK"
  fi

  if [[ ! -f "$BUILD/build.ninja" || ! -f "$BUILD/meson-private/coredata.dat" ]]; then
    rm -rf "$BUILD"
    log "meson setup"
    meson setup "$BUILD" "$SRC" \
      --buildtype release -Db_ndebug=true \
      --wrap-mode=nofallback \
      -Dms_disable_liburing=true >&2 || return 1
  fi

  local jobs=()
  [[ -n "${EDGEPLAY_BUILD_JOBS:-}" ]] && jobs=(-j "$EDGEPLAY_BUILD_JOBS")
  log "ninja: flatbuffers headers (fbs/FBS)"
  ninja -C "$BUILD" "${jobs[@]}" fbs/FBS >&2 || return 1
  log "ninja: mediasoup-worker"
  ninja -C "$BUILD" "${jobs[@]}" mediasoup-worker >&2 || return 1
  binary_ok "$BUILD/mediasoup-worker" || { log "freshly built binary failed the smoke check"; return 1; }
}

if ! stage_and_build; then
  # A tree left by an interrupted (e.g. killed) run may hold truncated objects:
  # start over once. A failing fresh build is a real error.
  ((resumed)) || die "build failed (build tree kept for inspection: $WORK)"
  log "resumed build failed; retrying once from a clean tree"
  rm -rf "$WORK"
  stage_and_build || die "build failed (build tree kept for inspection: $WORK)"
fi

# --- 4. install atomically -----------------------------------------------------
mkdir -p "$KEY_DIR"
rm -f "$KEY_DIR"/.mediasoup-worker.* "$KEY_DIR/.build-info.txt.tmp"   # leftovers of a killed install
tmp_bin="$(mktemp "$KEY_DIR/.mediasoup-worker.XXXXXX")"
cp "$BUILD/mediasoup-worker" "$tmp_bin"
chmod 0755 "$tmp_bin"
{
  printf '%s' "$key_input"
  printf 'built=%s\nsource=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PKG_DIR"
} > "$KEY_DIR/.build-info.txt.tmp"
mv -f "$KEY_DIR/.build-info.txt.tmp" "$KEY_DIR/build-info.txt"
mv -f "$tmp_bin" "$BIN"

if [[ "${EDGEPLAY_KEEP_BUILD:-}" != "1" ]]; then rm -rf "$WORK"; fi
log "built in $((SECONDS - START)) s: $BIN"
printf '%s\n' "$BIN"
