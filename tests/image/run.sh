#!/usr/bin/env bash
# The container image, end to end: builds the Dockerfile with container-check (buildah, no Docker
# engine), reports its size, runs it (the host network is shared, so the server listens on this
# machine), checks crab_app answers on 8000 and the HEALTHCHECK's /healthz on 9000, then stops it
# with the image's STOPSIGNAL and checks the stop is clean. Not part of ctest: it needs buildah
# (container-check) and takes minutes.
#
#   tests/image/run.sh                                (CONTAINER_CHECK names the tool if not on PATH)
#   IMAGE=localhost/asgiserver:dev tests/image/run.sh # an image already built
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { printf '==> [image] %s\n' "$*"; }
tool=${CONTAINER_CHECK:-$(command -v container-check || echo /work/shared/tools/container-check)}
# IMAGE=TAG checks an image already built instead of building one.
tag=${IMAGE:-localhost/asgiserver:image-test}
if [ -z "${IMAGE:-}" ]; then
  say "Building the image"
  "$tool" build . "$tag" >/tmp/asgiserver-image-build.log 2>&1 || { tail -30 /tmp/asgiserver-image-build.log; exit 1; }
fi
say "Image size: $("$tool" size "$tag" | awk '{print $2, $3}')"

for port in 8000 9000; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use: stop what listens there first" >&2; exit 1
  fi
done
log=$(mktemp)
"$tool" run "$tag" >"$log" 2>&1 &
runner=$!
trap 'kill -9 $runner 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null && break
  sleep 0.1
done

get() {  # get PORT PATH -> the status line
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" >&3
  head -n1 <&3 | tr -d '\r'
  exec 3<&-
}
status=$(get 8000 /crabs)
[[ $status == "HTTP/1.1 200 OK" ]] || { echo "crab_app: $status"; cat "$log"; exit 1; }
say "crab_app answers: $status"
health=$(get 9000 /healthz)
[[ $health == "HTTP/1.1 200 OK" ]] || { echo "healthz: $health"; cat "$log"; exit 1; }
say "healthz: $health"

# The image's STOPSIGNAL, sent to the server inside (container-check's run does not enforce it).
pid=$(pgrep -f "^/usr/local/bin/asgiserver --host 0.0.0.0 --port 8000" | head -n1)
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "still running 10 s after SIGTERM"; exit 1; fi
wait "$runner" || true
grep -q "Finished server process" "$log" || { echo "no clean stop:"; cat "$log"; exit 1; }
say "SIGTERM: stopped cleanly"
