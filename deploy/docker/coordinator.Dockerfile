# ECG-Bench coordinator image: ecgbench-coordinator (gRPC 50051, /metrics 9100) and the ecgbench CLI
# on Debian 12 slim, without LibTorch. Build from the repository root:
#   docker build -f deploy/docker/coordinator.Dockerfile -t ecgbench/coordinator:0.1.0 .
# Packages come from scripts/install-deps.sh profiles (build-coordinator, runtime-coordinator);
# tests/deploy/docker_check.py keeps this file and the profiles in step. docs/deploy-containers.md.

# Base images (override to use a mirror or a pinned digest).
ARG DEBIAN_BUILD_IMAGE=debian:12
ARG DEBIAN_RUNTIME_IMAGE=debian:12-slim

# ---- build: compile the torch-free targets with CMake + Ninja (-DECGBENCH_BUILD_WORKER=OFF: no
# LibTorch in this stage either).
FROM ${DEBIAN_BUILD_IMAGE} AS build
ARG BUILD_TYPE=Release
# Parallel compile jobs; empty: Ninja's default (all cores).
ARG BUILD_JOBS=
COPY scripts/install-deps.sh /usr/local/sbin/install-deps.sh
RUN bash /usr/local/sbin/install-deps.sh --profile build-coordinator --clean
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DECGBENCH_BUILD_TESTS=OFF -DECGBENCH_BUILD_WORKER=OFF \
 && cmake --build /build --target ecgbench-coordinator ecgbench --parallel ${BUILD_JOBS} \
 && strip --strip-unneeded /build/bin/ecgbench-coordinator /build/bin/ecgbench

# ---- runtime
FROM ${DEBIAN_RUNTIME_IMAGE} AS runtime
ARG ECGBENCH_VERSION=0.1.0
ARG VCS_REF=unknown
ARG BUILD_DATE=unknown
LABEL org.opencontainers.image.title="ecgbench-coordinator" \
      org.opencontainers.image.description="ECG-Bench coordinator (gRPC scheduler, SQLite state, Prometheus metrics) and the ecgbench CLI; no LibTorch" \
      org.opencontainers.image.version="${ECGBENCH_VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.base.name="debian:12-slim" \
      org.opencontainers.image.documentation="docs/deploy-containers.md"
COPY scripts/install-deps.sh /usr/local/sbin/install-deps.sh
# Fixed uid/gid 10001 (deploy/k8s sets runAsUser/fsGroup 10001). /var/lib/ecgbench holds the
# SQLite database (db/) and the artifacts (artifacts/).
RUN bash /usr/local/sbin/install-deps.sh --profile runtime-coordinator --clean \
 && groupadd --gid 10001 ecgbench \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/ecgbench --no-create-home \
      --shell /usr/sbin/nologin ecgbench \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/ecgbench /var/lib/ecgbench/db /var/lib/ecgbench/artifacts
COPY --from=build /build/bin/ecgbench-coordinator /build/bin/ecgbench /usr/local/bin/
# Fails the build if a shared library of the shipped binaries is missing from the image.
RUN bash /usr/local/sbin/install-deps.sh --owners-of /usr/local/bin/ecgbench-coordinator /usr/local/bin/ecgbench >/dev/null
# The CLI inside the container (and the health check) talks to this coordinator over TLS, verifying
# it with the CA of the mounted certificate (docs/security.md; --generate-certs names localhost).
ENV ECGBENCH_COORDINATOR=localhost:50051 \
    ECGBENCH_TLS_CA=/etc/ecgbench/tls/ca.crt
USER 10001:10001
WORKDIR /var/lib/ecgbench
VOLUME ["/var/lib/ecgbench"]
# 50051: gRPC (ecgbench.v1.Coordinator + grpc.health.v1); 9100: Prometheus /metrics.
EXPOSE 50051 9100
# grpc.health.v1 through the CLI (no token needed; TLS as above): exit 0 when SERVING, 5 when the
# coordinator does not answer. Assumes --listen keeps port 50051.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/ecgbench", "--timeout", "5", "health"]
# tini as PID 1 forwards SIGTERM (docker stop) to the coordinator and reaps zombies.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/ecgbench-coordinator"]
# TLS and bearer tokens are required off loopback: mount the certificate, its key and CA at
# /etc/ecgbench/tls and the token file at /etc/ecgbench/tokens (docs/deploy-containers.md). So are
# roots for the paths in specs: the workers' data (/data), models (/models) and artifacts.
CMD ["--listen=0.0.0.0:50051", "--metrics-listen=0.0.0.0:9100", "--db=/var/lib/ecgbench/db/coordinator.db", \
     "--tls-cert=/etc/ecgbench/tls/tls.crt", "--tls-key=/etc/ecgbench/tls/tls.key", \
     "--auth-tokens=/etc/ecgbench/tokens/tokens", \
     "--data-root=/data", "--data-root=/models", "--data-root=/var/lib/ecgbench/artifacts"]
