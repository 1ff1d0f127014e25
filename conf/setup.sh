#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages via conf/install-packages.sh, plus llhttp >= 9.2.1 from Debian 13's archive),
# then configures and builds asgiserver. Idempotent: a second run only rebuilds what changed.
#
#   conf/setup.sh                     # release build in ./build
#   ASGI_BUILD_DIR=build-asan ASGI_CMAKE_ARGS="-DASGI_SANITIZE=address;undefined" conf/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '==> %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Run as root (or install sudo) to install packages." >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# ---- Debian 12 packages ------------------------------------------------------------------------
packages=(clang-19 libclang-rt-19-dev g++ cmake ninja-build ccache pkg-config curl xz-utils gpgv debian-archive-keyring
          ca-certificates libboost1.81-dev libspdlog-dev libcli11-dev nlohmann-json3-dev zlib1g-dev
          libgtest-dev libsystemd-dev libssl-dev libhiredis-dev libtomlplusplus-dev prometheus-cpp-dev python3 clang-format)
packages+=(${ASGI_EXTRA_PACKAGES:-})
conf/install-packages.sh "${packages[@]}"

# ---- llhttp >= 9.2.1 (CVE-2024-27982): Debian 13's packages, verified like apt would ------------
llhttp_version=$(dpkg-query -W -f='${Version}' libllhttp-dev 2>/dev/null || true)
if [ -n "$llhttp_version" ] && dpkg --compare-versions "$llhttp_version" ge "9.2.1~"; then  # Debian: 9.2.1~7.3.0+dfsg1...
  say "llhttp $llhttp_version present"
else
  # The mirror this machine already uses (deb822 or one-line sources), never a hard-coded host.
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$mirror" ] || { echo "No Debian mirror found in the apt sources." >&2; exit 1; }
  mirror=${mirror%/}
  arch=$(dpkg --print-architecture)
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  say "Fetching llhttp 9.2 from Debian 13 (trixie) via $mirror"
  curl -fsSL -o "$work/InRelease" "$mirror/dists/trixie/InRelease"
  gpgv --keyring /usr/share/keyrings/debian-archive-keyring.gpg "$work/InRelease" 2>/dev/null \
    || { echo "trixie InRelease signature check failed" >&2; exit 1; }
  index="main/binary-$arch/Packages.xz"
  index_sha=$(awk -v f="$index" '/^SHA256:/{s=1;next} /^[A-Za-z]/{s=0} s && $3==f {print $1}' "$work/InRelease")
  curl -fsSL -o "$work/Packages.xz" "$mirror/dists/trixie/$index"
  echo "$index_sha  $work/Packages.xz" | sha256sum -c --quiet -
  xz -d "$work/Packages.xz"
  debs=()
  for p in libllhttp9.2 libllhttp-dev; do
    read -r file sha < <(awk -v p="$p" '$1=="Package:"{cur=$2} cur==p && $1=="Filename:"{f=$2} cur==p && $1=="SHA256:"{print f, $2; exit}' "$work/Packages")
    [ -n "$file" ] || { echo "$p not found in trixie" >&2; exit 1; }
    curl -fsSL -o "$work/$(basename "$file")" "$mirror/$file"
    echo "$sha  $work/$(basename "$file")" | sha256sum -c --quiet -
    debs+=("$work/$(basename "$file")")
  done
  $SUDO apt-get install -y -q --no-install-recommends "${debs[@]}"
fi

# ---- build ---------------------------------------------------------------------------------------
build_dir=${ASGI_BUILD_DIR:-build}
# A build directory configured before the move to clang 19 still names GCC 12 (as c++ or g++),
# which CMake refuses. Unless CXX says otherwise, start it again with the default compiler.
cached_cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
if [ -z "${CXX:-}" ] && [ -n "$cached_cxx" ] && [[ "$cached_cxx" != *clang* ]]; then
  say "Reconfiguring $build_dir for clang 19 (it was configured for $cached_cxx)"
  rm -f "$build_dir/CMakeCache.txt"
fi
say "Configuring $build_dir"
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -G Ninja ${ASGI_CMAKE_ARGS:-} >/dev/null
say "Building (2 cores: the first build takes a few minutes, later ones are incremental)"
cmake --build "$build_dir"
say "Built $build_dir/asgiserver"
