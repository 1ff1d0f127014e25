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
export ASGI_EXTRA_PACKAGES="python3-websockets"
conf/setup.sh
build_dir=${ASGI_BUILD_DIR:-build}
echo "==> Running tests in $build_dir"
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 300
