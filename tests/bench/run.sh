#!/usr/bin/env bash
# The benchmark, in one command (as root, or with sudo for the package installs):
#
#   tests/bench/run.sh            # full: 5 runs x 5 s per server per workload (about 8 minutes)
#   tests/bench/run.sh --quick    # 1 run x 2 s, smaller counts (or BENCH_QUICK=1); writes .cache/quick.md
#   tests/bench/run.sh --only plaintext,pipelined --runs 5    # any bench.py option (see --help)
#
# 1. installs the peers if missing: Debian packages (wrk, nginx-light, Uvicorn + uvloop + httptools +
#    websockets, Boost's doc package for the Beast example, valgrind) and Node's `ws` from npm into
#    tests/bench/.cache (not committed);
# 2. builds a Release asgiserver in build-bench/ (the project's own conf/setup.sh), unless
#    ASGISERVER=/path/to/asgiserver is given;
# 3. builds the Beast WebSocket example and the ws_load client into a temp dir (removed at exit);
# 4. runs tests/bench/bench.py, which prints the ratio table and writes tests/bench/results/latest.md
#    (and latest.json).
#
# This is not a test: nothing registers it with ctest, and it has no pass/fail exit status for goals.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { printf '==> %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Run as root (or install sudo) to install packages." >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# ---- 1. peers -----------------------------------------------------------------------------------
packages=(wrk nginx-light python3-uvicorn python3-uvloop python3-httptools python3-websockets
          libboost1.81-doc valgrind strace g++)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
conf/install-packages.sh "${packages[@]}"

cache=tests/bench/.cache
if [ -f "$cache/node_modules/ws/package.json" ]; then
  say "Node ws present"
else
  say "Installing Node ws into $cache"
  mkdir -p "$cache"
  timeout 300 npm install --prefix "$cache" --no-audit --no-fund --silent ws@8 \
    || say "npm could not install ws: the node ws rows will say n/a"
fi

# ---- 2. asgiserver --------------------------------------------------------------------------------
build_note="Release -O3 -gdwarf-4, build-bench/"
if [ -n "${ASGISERVER:-}" ]; then
  asgiserver=$ASGISERVER
  build_note="given as ASGISERVER"
else
  # -g only adds symbols for callgrind_annotate; DWARF 4 because Debian 12's valgrind 3.19 cannot
  # read clang 19's default DWARF 5 (it gives up on the binary and the callgrind row is lost).
  say "Building asgiserver (Release) in build-bench/"
  ASGI_BUILD_DIR=build-bench \
  ASGI_CMAKE_ARGS="-DASGI_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-gdwarf-4" \
    conf/setup.sh >&2
  asgiserver=build-bench/asgiserver
fi

# ---- 3. Beast example and ws_load, built at bench time into a temp dir ---------------------------
tmp=$(mktemp -d /tmp/asgi-bench-bin.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
beast_src=/usr/share/doc/libboost1.81-doc/examples/libs/beast/example/websocket/server/awaitable/websocket_server_awaitable.cpp
extra=()
say "Building ws_load and Beast's websocket_server_awaitable into $tmp"
g++ -O2 -std=c++20 -o "$tmp/ws_load" tests/bench/ws_load/ws_load.cpp &
ws_load_job=$!
if [ -f "$beast_src" ]; then
  g++ -O2 -DNDEBUG -std=c++20 -pthread -o "$tmp/beast_ws" "$beast_src" &
  beast_job=$!
  if wait "$beast_job"; then extra+=(--beast "$tmp/beast_ws"); else say "Beast example did not build: n/a"; fi
fi
if wait "$ws_load_job"; then extra+=(--ws-load "$tmp/ws_load"); else say "ws_load did not build: WebSocket rows n/a"; fi

# ---- 4. measure -----------------------------------------------------------------------------------
ulimit -n "$(ulimit -Hn)"   # 10,000 idle connections: the servers and the client each need the fds
/usr/bin/python3 tests/bench/bench.py --asgiserver "$asgiserver" --build-note "$build_note" "${extra[@]}" "$@"
