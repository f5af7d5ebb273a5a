#!/usr/bin/env bash
# Builds the eBPF objects (bpf/build/capture.bpf.o, tcp-events.bpf.o, int.bpf.o) and the N-API addon
# (packages/libbpf/build/Release/clovisor_libbpf.node) without node-gyp or downloads; plus the
# test fixture bpf/build/testing/dnat.bpf.o.
# Idempotent: each output is rebuilt only when one of its inputs is newer. FORCE=1 rebuilds.
set -euo pipefail

PKG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$PKG_DIR/../.." && pwd)"
BPF_DIR="$ROOT/bpf"
ADDON_OUT="$PKG_DIR/build/Release/clovisor_libbpf.node"
CLANG="${CLANG:-clang}"
CXX="${CXX:-g++}"

# stale OUT INPUT... -> true when OUT is missing or older than any input
stale() {
  local out="$1"; shift
  [[ "${FORCE:-0}" == "1" || ! -f "$out" ]] && return 0
  local f
  for f in "$@"; do [[ "$f" -nt "$out" ]] && return 0; done
  return 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "build.sh: '$1' not found: $2" >&2; exit 1; }
}

# build_bpf NAME: bpf/NAME.bpf.c -> bpf/build/NAME.bpf.o
build_bpf() {
  local BPF_OUT="$BPF_DIR/build/$1.bpf.o"
  local inputs=("$BPF_DIR"/*.c "$BPF_DIR"/testing/*.c "$BPF_DIR"/*.h "$PKG_DIR/build.sh")
  if stale "$BPF_OUT" "${inputs[@]}"; then
    need "$CLANG" "install clang (apt-get install clang llvm libbpf-dev)"
    mkdir -p "$(dirname "$BPF_OUT")"
    local arch; arch="$(uname -m)"
    local target_arch="x86"
    [[ "$arch" == "aarch64" ]] && target_arch="arm64"
    "$CLANG" -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_${target_arch} \
      -I"/usr/include/${arch}-linux-gnu" \
      -c "$BPF_DIR/$1.bpf.c" -o "$BPF_OUT.tmp"
    mv "$BPF_OUT.tmp" "$BPF_OUT"
    echo "built $BPF_OUT"
  fi
}

node_include_dir() {
  if [[ -f /usr/include/node/node_api.h ]]; then
    echo /usr/include/node
    return
  fi
  local d; d="$(dirname "$(command -v node)")/../include/node"
  if [[ -f "$d/node_api.h" ]]; then
    (cd "$d" && pwd)
    return
  fi
  echo "build.sh: Node headers (node_api.h) not found in /usr/include/node or $d" >&2
  exit 1
}

build_addon() {
  local inputs=("$PKG_DIR"/native/*.cc "$PKG_DIR"/native/*.h "$PKG_DIR/build.sh")
  if stale "$ADDON_OUT" "${inputs[@]}"; then
    need "$CXX" "install g++"
    need node "install Node.js 20"
    [[ -f /usr/include/bpf/libbpf.h ]] || { echo "build.sh: libbpf headers missing: apt-get install libbpf-dev" >&2; exit 1; }
    local node_inc napi_inc
    node_inc="$(node_include_dir)"
    # include_dir is relative to the directory that resolved node-addon-api.
    napi_inc="$(cd "$PKG_DIR" && node -p "require('path').resolve(require('path').dirname(require.resolve('node-addon-api/package.json')))")"
    mkdir -p "$(dirname "$ADDON_OUT")"
    "$CXX" -std=c++17 -O2 -g -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden \
      -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
      -I"$node_inc" -I"$napi_inc" \
      "$PKG_DIR"/native/*.cc \
      -o "$ADDON_OUT.tmp" -lbpf -pthread
    mv "$ADDON_OUT.tmp" "$ADDON_OUT"
    echo "built $ADDON_OUT"
  fi
}

build_bpf capture
build_bpf tcp-events
build_bpf int
build_bpf testing/dnat # a test fixture (int.test.ts)
build_addon
