# ECG-Bench CUDA worker image: ecgbench-worker built with -DECGBENCH_WITH_CUDA=ON against the LibTorch
# of a PyTorch 2.x release (cxx11 ABI, CUDA build) on NVIDIA's CUDA + cuDNN images (Ubuntu 24.04:
# gRPC 1.51, protobuf 3.21 and absl 20220623 as on Debian 12). Build from the repository root:
#   docker build -f deploy/docker/worker-cuda.Dockerfile -t ecgbench/worker-cuda:0.1.0 .
#   docker build -f deploy/docker/worker-cuda.Dockerfile \
#     --build-arg TORCH_VERSION=2.6.0 --build-arg CUDA_TAG=cu124 --build-arg CUDA_BASE_VERSION=12.4.1 \
#     --build-arg UBUNTU_VERSION=22.04 -t ecgbench/worker-cuda:0.1.0-cu124 .
# Run: docker run --gpus all --shm-size=8g -e ECGBENCH_COORDINATOR=host:50051 ecgbench/worker-cuda:0.1.0
# Packages come from scripts/install-deps.sh (profiles build-cuda and runtime-worker-cuda; the run-time
# libraries are the packages owning what the built worker loads, listed by `install-deps.sh
# --owners-of` in the build stage). tests/deploy/docker_check.py checks this file.
# docs/deploy-containers.md lists the build arguments and what could not be verified.

# CUDA version of the nvidia/cuda base images and their Ubuntu release. The CUDA of the images must
# be the one the LibTorch build (CUDA_TAG) was made for, or newer within the same major version.
ARG CUDA_BASE_VERSION=12.6.3
ARG UBUNTU_VERSION=24.04
ARG CUDA_BUILD_IMAGE=nvidia/cuda:${CUDA_BASE_VERSION}-cudnn-devel-ubuntu${UBUNTU_VERSION}
ARG CUDA_RUNTIME_IMAGE=nvidia/cuda:${CUDA_BASE_VERSION}-cudnn-runtime-ubuntu${UBUNTU_VERSION}

# ---- build
FROM ${CUDA_BUILD_IMAGE} AS build
# PyTorch release whose LibTorch is used, and its CUDA variant (download.pytorch.org/libtorch/<tag>).
ARG TORCH_VERSION=2.6.0
ARG CUDA_TAG=cu126
# The zip; override for a mirror or another file name (cxx11 ABI builds only).
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/${CUDA_TAG}/libtorch-cxx11-abi-shared-with-deps-${TORCH_VERSION}%2B${CUDA_TAG}.zip
# Expected SHA-256 of the zip (recommended; empty: not verified, the hash is printed).
ARG LIBTORCH_SHA256=
# Gloo commit for the c10d headers when the zip lacks them; empty: PyTorch's third_party/gloo at
# v${TORCH_VERSION}, looked up through the GitHub API.
ARG GLOO_COMMIT=
# GPU architectures for LibTorch's CMake (the project has no .cu files; this only stops the
# configure step from probing for a GPU, which the builder does not have).
ARG TORCH_CUDA_ARCH_LIST="7.0;8.0;8.6;8.9;9.0"
ARG BUILD_TYPE=Release
# Parallel compile jobs; empty: Ninja's default (all cores; ~1.1 GB of memory per LibTorch unit).
ARG BUILD_JOBS=
COPY scripts/install-deps.sh /usr/local/sbin/install-deps.sh
RUN bash /usr/local/sbin/install-deps.sh --profile build-cuda --clean
COPY deploy/docker/fetch-libtorch.sh /usr/local/sbin/fetch-libtorch.sh
RUN bash /usr/local/sbin/fetch-libtorch.sh --url "${LIBTORCH_URL}" --sha256 "${LIBTORCH_SHA256}" \
      --torch-version "${TORCH_VERSION}" --gloo-commit "${GLOO_COMMIT}" --dest /opt/libtorch
COPY . /src
# The worker's RUNPATH points at /opt/libtorch/lib; the runtime stage puts the libraries there too.
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DECGBENCH_BUILD_TESTS=OFF \
      -DECGBENCH_WITH_CUDA=ON -DCMAKE_PREFIX_PATH=/opt/libtorch \
      -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST}" \
 && cmake --build /build --target ecgbench-worker --parallel ${BUILD_JOBS} \
 && strip --strip-unneeded /build/bin/ecgbench-worker \
 && bash /usr/local/sbin/install-deps.sh --owners-of /build/bin/ecgbench-worker --skip-dir /opt/libtorch \
      > /build/runtime-packages.txt \
 && mkdir -p /opt/libtorch-runtime/lib && cp -a /opt/libtorch/lib/*.so* /opt/libtorch-runtime/lib/

# ---- runtime
FROM ${CUDA_RUNTIME_IMAGE} AS runtime
ARG ECGBENCH_VERSION=0.1.0
ARG VCS_REF=unknown
ARG BUILD_DATE=unknown
ARG TORCH_VERSION=2.6.0
ARG CUDA_TAG=cu126
LABEL org.opencontainers.image.title="ecgbench-worker-cuda" \
      org.opencontainers.image.description="ECG-Bench worker (stage runner) with the CUDA LibTorch of PyTorch ${TORCH_VERSION}+${CUDA_TAG} and NCCL" \
      org.opencontainers.image.version="${ECGBENCH_VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.base.name="nvidia/cuda" \
      org.opencontainers.image.documentation="docs/deploy-containers.md"
COPY scripts/install-deps.sh /usr/local/sbin/install-deps.sh
COPY --from=build /build/runtime-packages.txt /usr/local/share/ecgbench/runtime-packages.txt
# Fixed uid/gid 10001 (deploy/k8s sets runAsUser/fsGroup 10001). /var/lib/ecgbench holds the
# per-task working directories (work/) and the shared artifacts (artifacts/).
RUN bash /usr/local/sbin/install-deps.sh --profile runtime-worker-cuda \
      --packages-file /usr/local/share/ecgbench/runtime-packages.txt --clean \
 && groupadd --gid 10001 ecgbench \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/ecgbench --no-create-home \
      --shell /usr/sbin/nologin ecgbench \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/ecgbench /var/lib/ecgbench/work /var/lib/ecgbench/artifacts
COPY --from=build /opt/libtorch-runtime/lib /opt/libtorch/lib
COPY --from=build /build/bin/ecgbench-worker /usr/local/bin/
# Fails the build if a shared library of the shipped binary is missing from the image (the CUDA
# driver library, libcuda.so.1, comes from the host at run time and is skipped).
RUN bash /usr/local/sbin/install-deps.sh --owners-of /usr/local/bin/ecgbench-worker --skip-dir /opt/libtorch >/dev/null
# The coordinator's address (a Docker network alias or a Kubernetes Service of that name).
ENV ECGBENCH_COORDINATOR=ecgbench-coordinator:50051
USER 10001:10001
WORKDIR /var/lib/ecgbench
VOLUME ["/var/lib/ecgbench"]
# 9101: /metrics, /readyz (registered with the coordinator), /livez (tasks make progress).
EXPOSE 9101
# Liveness, not readiness: a worker waiting for its coordinator is alive (/readyz says 503 then).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
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
