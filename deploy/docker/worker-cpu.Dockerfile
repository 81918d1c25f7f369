# ECG-Bench CPU worker image: ecgbench-worker on Debian 12 with Debian's LibTorch 1.13 (CPU) and BLIS
# as the BLAS (pinned by scripts/install-deps.sh). Build from the repository root:
#   docker build -f deploy/docker/worker-cpu.Dockerfile -t ecgbench/worker-cpu:0.1.0 .
# Packages come from scripts/install-deps.sh profiles (build, runtime-worker-cpu);
# tests/deploy/docker_check.py keeps this file and the profiles in step. docs/deploy-containers.md.

# Base images (override to use a mirror or a pinned digest).
ARG DEBIAN_BUILD_IMAGE=debian:12
ARG DEBIAN_RUNTIME_IMAGE=debian:12-slim

# ---- build: the same first layers as coordinator.Dockerfile, so a builder shares their cache.
FROM ${DEBIAN_BUILD_IMAGE} AS build
ARG BUILD_TYPE=Release
# Parallel compile jobs; empty: Ninja's default (all cores). Each LibTorch translation unit needs
# about 1.1 GB of memory: lower this on small builders.
ARG BUILD_JOBS=
COPY scripts/install-deps.sh /usr/local/sbin/install-deps.sh
RUN bash /usr/local/sbin/install-deps.sh --profile build --clean
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DECGBENCH_BUILD_TESTS=OFF \
 && cmake --build /build --target ecgbench-worker --parallel ${BUILD_JOBS} \
 && strip --strip-unneeded /build/bin/ecgbench-worker

# ---- runtime
FROM ${DEBIAN_RUNTIME_IMAGE} AS runtime
ARG ECGBENCH_VERSION=0.1.0
ARG VCS_REF=unknown
ARG BUILD_DATE=unknown
LABEL org.opencontainers.image.title="ecgbench-worker-cpu" \
      org.opencontainers.image.description="ECG-Bench worker (stage runner) with Debian's CPU LibTorch 1.13 and BLIS" \
      org.opencontainers.image.version="${ECGBENCH_VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.base.name="debian:12-slim" \
      org.opencontainers.image.documentation="docs/deploy-containers.md"
COPY scripts/install-deps.sh /usr/local/sbin/install-deps.sh
# Fixed uid/gid 10001 (deploy/k8s sets runAsUser/fsGroup 10001). /var/lib/ecgbench holds the
# per-task working directories (work/) and the shared artifacts (artifacts/).
RUN bash /usr/local/sbin/install-deps.sh --profile runtime-worker-cpu --clean \
 && groupadd --gid 10001 ecgbench \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/ecgbench --no-create-home \
      --shell /usr/sbin/nologin ecgbench \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/ecgbench /var/lib/ecgbench/work /var/lib/ecgbench/artifacts
COPY --from=build /build/bin/ecgbench-worker /usr/local/bin/
# Fails the build if a shared library of the shipped binary is missing from the image.
RUN bash /usr/local/sbin/install-deps.sh --owners-of /usr/local/bin/ecgbench-worker >/dev/null
# The coordinator's address (a Docker network alias or a Kubernetes Service of that name).
ENV ECGBENCH_COORDINATOR=ecgbench-coordinator:50051
USER 10001:10001
WORKDIR /var/lib/ecgbench
VOLUME ["/var/lib/ecgbench"]
# 9101: /metrics, /readyz (registered with the coordinator), /livez (tasks make progress).
EXPOSE 9101
# Liveness, not readiness: a worker waiting for its coordinator is alive (/readyz says 503 then).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9101/livez"]
# tini as PID 1 forwards SIGTERM to the worker, which checkpoints running training and releases
# its tasks within --shutdown-grace-ms (give `docker stop -t` at least that long).
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/ecgbench-worker"]
# The coordinator serves TLS and requires a bearer token (role worker): mount its CA at
# /etc/ecgbench/tls and the token at /etc/ecgbench/tokens (docs/security.md). Spec paths must lie
# under /data, /models (mount the data sets and models there) or the artifact root.
CMD ["--metrics-listen=0.0.0.0:9101", "--work-dir=/var/lib/ecgbench/work", "--artifact-root=/var/lib/ecgbench/artifacts", \
     "--tls-ca=/etc/ecgbench/tls/ca.crt", "--token-file=/etc/ecgbench/tokens/worker.token", \
     "--data-root=/data", "--data-root=/models"]
