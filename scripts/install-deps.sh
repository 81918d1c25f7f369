#!/usr/bin/env bash
# Installs the packages the build, the tests, the quickstart and the container images need, as named
# profiles. No arguments: profile "all" (everything a Debian 12 development machine needs; what
# scripts/test.sh and scripts/quickstart.sh use). The Dockerfiles in deploy/docker run this same
# script with a profile; tests/deploy/docker_check.py checks that they do and that each runtime
# profile covers the shared libraries of the binaries its image ships.
#
# Usage: install-deps.sh [--profile NAME]... [--packages-file FILE]... [--print] [--clean]
#        install-deps.sh --list-profiles
#        install-deps.sh --owners-of BINARY... [--skip-dir DIR]... [--with-libraries]
#   --profile NAME        install profile NAME (repeatable; the union is installed). Default: all.
#   --packages-file FILE  also install the packages listed in FILE (one per line, # comments).
#   --print               print the packages (one per line, sorted) instead of installing them.
#   --clean               after installing, delete apt's package lists and cache (container images).
#   --list-profiles       print "NAME<TAB>description" for every profile.
#   --owners-of BIN...    print the packages that own the shared libraries BIN loads (ldd), one per
#                         line; libraries under a --skip-dir are skipped (e.g. an unpacked LibTorch).
#                         Fails naming the library when one is not found or belongs to no package.
#                         --with-libraries: print "package<TAB>library" lines instead.
# Idempotent: packages already installed are not touched and apt-get runs only when one is missing.
# Runs apt-get as root, or through sudo.
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Package groups. Names are Debian 12 (bookworm) names unless a group says otherwise.

# Compilers and build tools (same names on Ubuntu 24.04).
BUILD_TOOLS=(build-essential cmake ninja-build pkg-config)
# Libraries every binary compiles against (same -dev names on Ubuntu 24.04, which also has gRPC
# 1.51, protobuf 3.21 and absl 20220623). CMake finds all of them at configure time.
BUILD_LIBS=(
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libyaml-cpp-dev prometheus-cpp-dev libcivetweb-dev libhdf5-dev libxxhash-dev libcairo2-dev
  libsqlite3-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libssl-dev libfaiss-dev
)
# Debian's CPU LibTorch 1.13 (the worker/ folder needs it at configure time), the Gloo headers its
# c10d headers include, and the BLAS it must use (pinned below).
DEBIAN_TORCH=(libtorch-dev libgloo-dev libblis4-openmp)
# worker-cuda build stage: downloading and unpacking a LibTorch zip, and NCCL's headers (NVIDIA's
# apt repository, configured in the nvidia/cuda images; already there in their devel images).
CUDA_BUILD_EXTRAS=(curl unzip ca-certificates libnccl-dev)
# What the tests and the development tools need on top of the build.
TEST_TOOLS=(
  ccache curl unzip git
  libgtest-dev libgmock-dev libmatio-dev sqlite3 libsentencepiece-dev sentencepiece
  wordnet-base python3-nltk python3-regex
  prometheus python3-grpcio python3-protobuf python3-yaml
  python3-numpy python3-scipy python3-mpmath python3-pywt python3-pil python3-torch
  clang libclang-rt-14-dev
)
# Tools that may come from another source (the kubectl package from Kubernetes' own repository
# conflicts with Debian's kubernetes-client; NodeSource's nodejs with Debian's npm): installed
# only when the command is missing. Format: "command:package package...".
TEST_TOOLS_IF_MISSING=("kubectl:kubernetes-client" "npm:nodejs npm")

# Run-time libraries (Debian 12 names), from the binaries' NEEDED entries; their own dependencies
# come through the packages' Depends.
RUNTIME_COMMON=(
  libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libspdlog1.10 libfmt9 libssl3
  libcairo2 libhdf5-103-1 libxxhash0 tini
)

declare -A PROFILE_DESC PROFILE_PACKAGES
add_profile() {  # add_profile NAME "description" package...
  local name=$1 desc=$2
  shift 2
  PROFILE_DESC[$name]=$desc
  PROFILE_PACKAGES[$name]="$*"
}
add_profile build "Debian 12: compile ecgbench, ecgbench-coordinator and ecgbench-worker (Debian LibTorch)" \
  "${BUILD_TOOLS[@]}" "${BUILD_LIBS[@]}" "${DEBIAN_TORCH[@]}"
add_profile build-coordinator "Debian 12: compile ecgbench-coordinator and ecgbench only (-DECGBENCH_BUILD_WORKER=OFF; no LibTorch)" \
  "${BUILD_TOOLS[@]}" "${BUILD_LIBS[@]}"
add_profile build-cuda "Ubuntu 24.04 (nvidia/cuda devel image): compile ecgbench-worker against a downloaded CUDA LibTorch" \
  "${BUILD_TOOLS[@]}" "${BUILD_LIBS[@]}" "${CUDA_BUILD_EXTRAS[@]}"
add_profile runtime-coordinator "Debian 12: run ecgbench-coordinator and the ecgbench CLI (no LibTorch)" \
  "${RUNTIME_COMMON[@]}" libyaml-cpp0.7 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1 libsqlite3-0 \
  sqlite3
add_profile runtime-worker-cpu "Debian 12: run ecgbench-worker with Debian's LibTorch and BLIS" \
  "${RUNTIME_COMMON[@]}" libyaml-cpp0.7 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1 \
  libtorch1.13 libblis4-openmp liblapack3 libgomp1 curl
add_profile runtime-worker-cuda "Ubuntu 24.04 (nvidia/cuda runtime image): health-check and init tools; the libraries come from --packages-file (install-deps.sh --owners-of in the build stage)" \
  curl tini ca-certificates
add_profile test "Debian 12: tools the tests need on top of the build" "${TEST_TOOLS[@]}"
add_profile all "Debian 12: build + test (the default; scripts/test.sh and scripts/quickstart.sh)" \
  "${BUILD_TOOLS[@]}" "${BUILD_LIBS[@]}" "${DEBIAN_TORCH[@]}" "${TEST_TOOLS[@]}"
PROFILE_ORDER=(all build build-coordinator build-cuda runtime-coordinator runtime-worker-cpu runtime-worker-cuda test)
# Profiles that install the TEST_TOOLS_IF_MISSING tools.
declare -A PROFILE_WITH_OPTIONAL_TOOLS=([all]=1 [test]=1)

die() { echo "install-deps: $*" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# --owners-of: the packages owning the shared libraries of some binaries.

# The host's NVIDIA driver provides these at run time (the NVIDIA container toolkit mounts them);
# they are never in an image and never installed from packages.
DRIVER_LIBS_RE='^(libcuda\.so\.1|libnvidia-ml\.so\.1|libnvidia-ptxjitcompiler\.so\.1)$'

owners_of() {  # owners_of "skip dirs (newline separated)" binary...
  local skip_dirs=$1
  shift
  local -A lib_of_path=() need_by=()
  local bin out line name path
  for bin in "$@"; do
    [ -f "$bin" ] || die "--owners-of: $bin: no such file"
    out=$(ldd "$bin" 2>&1) || die "--owners-of: ldd $bin failed: $out"
    while IFS= read -r line; do
      line=${line#"${line%%[![:space:]]*}"}
      case $line in
        *"=> not found"*)
          name=${line%% *}
          if [[ $name =~ $DRIVER_LIBS_RE ]]; then
            echo "install-deps: $name (needed by $bin) comes from the NVIDIA driver at run time; skipped" >&2
            continue
          fi
          die "--owners-of: $name (needed by $bin) is not found by ldd"
          ;;
        *" => "*) path=${line#* => }; path=${path%% (*} ;;
        /*) path=${line%% (*} ;;
        *) continue ;;  # linux-vdso.so.1 and statically linked binaries
      esac
      [ -n "$path" ] || continue
      local d skip=0
      while IFS= read -r d; do
        [ -n "$d" ] || continue
        case $path/ in "${d%/}"/*) skip=1 ;; esac
        case $(readlink -f "$path")/ in "$(readlink -f "$d")"/*) skip=1 ;; esac
      done <<<"$skip_dirs"
      [ "$skip" -eq 0 ] || continue
      lib_of_path[$path]=$path
      need_by[$path]=$bin
    done <<<"$out"
  done
  [ "${#lib_of_path[@]}" -gt 0 ] || return 0
  # dpkg knows a file under the path its package shipped it; with merged /usr that may be /lib/...
  # or /usr/lib/..., and a symlink (Debian alternatives) is not the file: try all four spellings.
  local -A candidates=()
  local p real c
  for p in "${!lib_of_path[@]}"; do
    real=$(readlink -f "$p")
    for c in "$p" "$real"; do
      candidates[$c]=$p
      case $c in /usr/*) candidates[${c#/usr}]=$p ;; *) candidates[/usr$c]=$p ;; esac
    done
  done
  local -A owner=() packages=()
  local pkgs file pkg
  while IFS= read -r line; do
    case $line in diversion*|"") continue ;; esac
    pkgs=${line%%: /*}
    file=/${line#*: /}
    [ -n "${candidates[$file]:-}" ] || continue
    IFS=', ' read -r -a pkg_list <<<"$pkgs"
    for pkg in "${pkg_list[@]}"; do
      [ -n "$pkg" ] || continue
      owner[${candidates[$file]}]+=" ${pkg%%:*}"
      packages[${pkg%%:*}]=1
    done
  done < <(dpkg-query --search "${!candidates[@]}" 2>/dev/null || true)
  for p in "${!lib_of_path[@]}"; do
    [ -n "${owner[$p]:-}" ] || die "--owners-of: $p (needed by ${need_by[$p]}) belongs to no installed package"
  done
  if [ "$with_libraries" -eq 1 ]; then
    for p in "${!lib_of_path[@]}"; do
      read -r -a pkg_list <<<"${owner[$p]}"
      printf "%s\t$p\n" "${pkg_list[@]}" | sort -u
    done | sort
  else
    printf '%s\n' "${!packages[@]}" | sort
  fi
}

# ---------------------------------------------------------------------------------------------
# Arguments.

profiles=()
package_files=()
print_only=0
clean=0
owners_mode=0
owners_bins=()
skip_dirs=""
with_libraries=0
while [ $# -gt 0 ]; do
  case $1 in
    --profile) [ $# -ge 2 ] || die "--profile needs a name"; profiles+=("$2"); shift 2 ;;
    --profile=*) profiles+=("${1#--profile=}"); shift ;;
    --packages-file) [ $# -ge 2 ] || die "--packages-file needs a file"; package_files+=("$2"); shift 2 ;;
    --print) print_only=1; shift ;;
    --clean) clean=1; shift ;;
    --list-profiles)
      for p in "${PROFILE_ORDER[@]}"; do printf '%s\t%s\n' "$p" "${PROFILE_DESC[$p]}"; done
      exit 0 ;;
    --owners-of) owners_mode=1; shift
      while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do owners_bins+=("$1"); shift; done ;;
    --with-libraries) with_libraries=1; shift ;;
    --skip-dir) [ $# -ge 2 ] || die "--skip-dir needs a directory"; skip_dirs+="$2"$'\n'; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

if [ "$owners_mode" -eq 1 ]; then
  [ "${#owners_bins[@]}" -gt 0 ] || die "--owners-of needs at least one binary"
  owners_of "$skip_dirs" "${owners_bins[@]}"
  exit 0
fi

[ "${#profiles[@]}" -gt 0 ] || profiles=(all)
declare -A seen=()
PACKAGES=()
optional_tools=0
for p in "${profiles[@]}"; do
  [ -n "${PROFILE_DESC[$p]:-}" ] || die "unknown profile '$p' (profiles: ${PROFILE_ORDER[*]})"
  [ -n "${PROFILE_WITH_OPTIONAL_TOOLS[$p]:-}" ] && optional_tools=1
  for pkg in ${PROFILE_PACKAGES[$p]}; do
    [ -n "${seen[$pkg]:-}" ] || { seen[$pkg]=1; PACKAGES+=("$pkg"); }
  done
done
for f in "${package_files[@]}"; do
  [ -r "$f" ] || die "--packages-file $f: cannot read"
  lineno=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line=${line%%#*}
    line=$(echo "$line" | tr -d '[:space:]')
    [ -n "$line" ] || continue
    [[ $line =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || die "$f:$lineno: '$line' is not a package name"
    [ -n "${seen[$line]:-}" ] || { seen[$line]=1; PACKAGES+=("$line"); }
  done <"$f"
done

# Tools installed only when their command is missing.
EXTRA=()
if [ "$optional_tools" -eq 1 ]; then
  for entry in "${TEST_TOOLS_IF_MISSING[@]}"; do
    command -v "${entry%%:*}" >/dev/null 2>&1 && continue
    for pkg in ${entry#*:}; do
      [ -n "${seen[$pkg]:-}" ] || { seen[$pkg]=1; EXTRA+=("$pkg"); }
    done
  done
fi

if [ "$print_only" -eq 1 ]; then
  printf '%s\n' "${PACKAGES[@]}" "${EXTRA[@]}" | sed '/^$/d' | sort
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# One dpkg-query for all packages: those not "install ok installed" are missing.
declare -A installed=()
while read -r name status; do
  [ "$status" = "install ok installed" ] && installed[${name%%:*}]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" "${EXTRA[@]}" 2>/dev/null || true)
missing=()
for p in "${PACKAGES[@]}" "${EXTRA[@]}"; do
  [ -n "${installed[$p]:-}" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$clean" -eq 1 ]; then
  $SUDO apt-get clean
  $SUDO rm -rf /var/lib/apt/lists/*
fi

# LibTorch links libblas.so.3 through Debian's alternatives. The reference BLAS is ~25x slower and
# OpenBLAS breaks civetweb's threads in processes that link libtorch: pin BLIS (openmp) explicitly.
libdir=/usr/lib/x86_64-linux-gnu
if [ "$(dpkg --print-architecture)" = arm64 ]; then libdir=/usr/lib/aarch64-linux-gnu; fi
blis=$libdir/blis-openmp/libblas.so.3
if [ -e "$blis" ] && [ "$(readlink -f "$libdir/libblas.so.3")" != "$(readlink -f "$blis")" ]; then
  $SUDO update-alternatives --set "libblas.so.3-${libdir##*/}" "$blis"
fi
suffix=""
if [ "${profiles[*]}" != all ] || [ "${#package_files[@]}" -gt 0 ]; then
  suffix=" (profile ${profiles[*]}${package_files[*]:+ + ${package_files[*]}})"
fi
blas_target=none
if [ -e "$libdir/libblas.so.3" ]; then blas_target=$(readlink -f "$libdir/libblas.so.3"); fi
echo "install-deps: all ${#PACKAGES[@]} packages present; libblas.so.3 -> ${blas_target}${suffix}"
