#!/usr/bin/env bash
# Installs everything EdgePlay needs on a fresh Debian 12 machine, and nothing twice:
# Debian packages that are missing, npm dependencies when the lockfile changed, and the
# mediasoup worker (built once from the npm package's source, cached by version + patch).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

# Debian packages: runtime of the stack, browser for tests, and the worker's build deps.
# Xorg renders on an NVIDIA GPU where its X driver is installed; tests run it with the dummy driver.
PACKAGES=(
  xvfb xdotool x11-utils ffmpeg chromium chromium-bsu supertux redis-server procps iproute2 util-linux patch docker-compose
  pulseaudio pulseaudio-utils libasound2-plugins
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  fonts-dejavu-core
  xserver-xorg-core xserver-xorg-video-dummy
  meson ninja-build pkg-config g++ python3
  libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev flatbuffers-compiler libflatbuffers-dev
)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "need root (or sudo) to install: ${missing[*]}"; exit 1; }
    SUDO=(sudo)
  fi
  say "installing Debian packages: ${missing[*]} (a few minutes on a fresh machine)"
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >&2
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >&2
else
  say "Debian packages: all present"
fi

# npm dependencies, reinstalled only when package-lock.json changes.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.edgeplay-lock-sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  say "npm dependencies: up to date"
else
  say "installing npm dependencies (locked versions)"
  # Not `npm ci`: the lockfile lacks rollup's binaries for other platforms (this registry
  # does not serve them), which `npm ci` refuses; `npm install --no-save` installs the
  # locked versions and leaves the lockfile alone. mediasoup's own install script would
  # download a prebuilt worker; the worker is built below instead.
  MEDIASOUP_WORKER_BIN=built-by-edgeplay-setup npm install --no-save --no-audit --no-fund >&2
  echo "$lock_hash" >"$stamp"
fi

# The mediasoup worker: built from node_modules/mediasoup/worker against Debian's
# libraries, cached outside the repo, and put where mediasoup looks for it by default.
say "mediasoup worker: checking cache (a first build compiles for 6-10 minutes)"
worker_bin=$(bash scripts/mediasoup/build-worker.sh node_modules/mediasoup | tail -n 1)
target=node_modules/mediasoup/worker/out/Release/mediasoup-worker
if ! cmp -s "$worker_bin" "$target" 2>/dev/null; then
  mkdir -p "$(dirname "$target")"
  cp "$worker_bin" "$target.tmp" && mv "$target.tmp" "$target"
fi
say "mediasoup worker: $target"

# The settlement contracts: compiled by solc-js from the npm package (offline), cached by a
# hash of their sources, compiler and settings in chain/build.
# (A container image runs this step before the sources are copied in, then builds them itself.)
if [ -d chain/contracts ]; then
  npm run --silent build -w chain >&2
else
  say "contracts: no chain/contracts here yet; skipped"
fi
say "ready"
