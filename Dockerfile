# opspilot's container image: built with the repository's own make targets on Debian bookworm,
# the platform CI runs on, so the binary that ships is the one the tests were run against.
#
#   docker build -t opspilot:0.1.0 .
#   docker build --build-arg RUN_TESTS=1 -t opspilot:0.1.0 .   # also `make test` (needs kubectl
#                                                                # and moto_server in the build image)
#
# The chart (charts/opspilot) runs it as user 65532 with a read-only root filesystem.

FROM debian:bookworm AS build
ARG RUN_TESTS=0
ENV DEBIAN_FRONTEND=noninteractive
# make is all the Makefile needs to start; its `deps` target installs the rest with apt-get.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends make ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src/opspilot
COPY . .
RUN if [ "$RUN_TESTS" = 1 ]; then make test; fi \
 && make build \
 && install -D -m 0755 build/release/agent/opspilot /out/usr/bin/opspilot \
 && ./build/release/agent/opspilot version

FROM debian:bookworm-slim
# Exactly the shared libraries the binary needs (readelf -d: NEEDED), the CA bundle for HTTPS
# (Prometheus, Slack, the API server) and the time-zone database (policy windows and freezes).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libcurl4 libyaml-cpp0.7 libprometheus-cpp-core1.0 libssl3 libstdc++6 libgcc-s1 libc6 \
      ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 opspilot \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/opspilot --no-create-home --shell /usr/sbin/nologin opspilot \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/opspilot
COPY --from=build /out/ /
USER 65532:65532
WORKDIR /var/lib/opspilot
EXPOSE 9460
ENTRYPOINT ["/usr/bin/opspilot"]
CMD ["run", "-c", "/etc/opspilot/config/opspilot.yaml"]
