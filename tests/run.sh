#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit and integration) with ctest.
#   tests/run.sh             # release build in ./build
#   tests/run.sh --sanitize  # AddressSanitizer + UndefinedBehaviorSanitizer build in ./build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  export ASGI_BUILD_DIR=build-asan
  export ASGI_CMAKE_ARGS="-DASGI_SANITIZE=address;undefined -DCMAKE_BUILD_TYPE=Debug"
fi
extra="python3-websockets python3-yaml openssl nginx-light redis-server"  # TLS test certificates, conf/nginx, conf/k8s, the scale-out test
# The browser test's packages too, when missing: their install takes minutes on a fresh machine,
# which belongs here and not inside that test's timeout (tests/browser/run.sh alone still installs them).
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || extra+=" chromium"
command -v node >/dev/null && command -v npm >/dev/null || extra+=" nodejs npm"
export ASGI_EXTRA_PACKAGES="$extra"
conf/setup.sh
build_dir=${ASGI_BUILD_DIR:-build}
echo "==> Running tests in $build_dir"
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 300
