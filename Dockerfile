# Two stages: build with the full toolchain, run on bookworm-slim with only the runtime libraries.
#   ../shared/tools/container-check build . asgiserver:dev   (or: docker build -t asgiserver .)
#   docker run -p 8000:8000 asgiserver                      (crab_app on 0.0.0.0:8000)
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
# conf/setup.sh installs the Debian packages (and llhttp 9.2 from Debian 13) and builds.
RUN ASGI_CMAKE_ARGS="-DASGI_BUILD_TESTS=OFF" conf/setup.sh \
 && strip build/asgiserver

FROM debian:bookworm-slim
# apt's downloaded packages and caches go in the same layer that made them (about 80 MB).
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends libspdlog1.10 libfmt9 libssl3 libsystemd0 libtomlplusplus3 libprometheus-cpp-core1.0 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && useradd --system --no-create-home asgi
COPY --from=build /src/build/asgiserver /usr/local/bin/asgiserver
USER asgi
# 8000: the app; 9000: /metrics, /healthz and /readyz (--metrics-bind), apart from the app.
EXPOSE 8000 9000
# No curl in the slim image: bash's /dev/tcp asks /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/9000 && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && head -n1 <&3 | grep -q " 200 "'

# SIGTERM starts a graceful shutdown (as does Ctrl+C).
STOPSIGNAL SIGTERM
ENTRYPOINT ["asgiserver", "--host", "0.0.0.0", "--port", "8000", "--metrics-bind", "0.0.0.0:9000"]
CMD ["--app", "crab_app"]
