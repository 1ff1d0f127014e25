#!/usr/bin/env bash
# Runs the browser tests: the live crab tank in Debian's headless Chromium, driven by
# playwright-core (tank.test.mjs). Installs what is missing first: the chromium package (apt) and
# playwright-core at the version package-lock.json pins (npm ci, into tests/browser/node_modules).
# Nothing is downloaded at run time: Playwright drives the system browser (executablePath), it
# never fetches one of its own.
#
#   ASGISERVER=build/asgiserver tests/browser/run.sh
#
# Environment: ASGISERVER (required) the server binary; CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ -z "${ASGISERVER:-}" ]; then
  echo "run.sh: set ASGISERVER to the asgiserver binary" >&2
  exit 2
fi
ASGISERVER="$(realpath "$ASGISERVER")"  # the test runs from tests/browser
export ASGISERVER
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  echo "==> apt-get install $*"
  # A fresh machine may have no package lists yet: update once, only if the first try fails.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" ||
    { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; }
}

[ -x "$CHROMIUM" ] || apt_install chromium
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
# Debian 12's nodejs is 18.x: package.json pins a playwright-core whose engines accept it.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "run.sh: playwright-core needs Node.js 18 or newer; this is $(node --version)" >&2
  exit 2
fi

cd "$here"
# npm ls fails when playwright-core is missing or not the version package-lock.json pins.
if ! npm ls playwright-core >/dev/null 2>&1; then
  echo "==> npm ci (playwright-core into tests/browser/node_modules)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "==> $(node --version), $("$CHROMIUM" --version 2>/dev/null), server $ASGISERVER"
exec node tank.test.mjs
