#!/usr/bin/env bash
# Installs the Debian packages Clovisor's build, tests and local stack need, and nothing else.
# Idempotent: checks each tool first and runs one `apt-get update` + one `apt-get install` only
# for what is missing. Go (>= 1.24, for building Jaeger) is checked but comes from go.dev when
# Debian's is too old. Usage: sudo scripts/ensure-system.sh    (CHECK_ONLY=1 to only report)
set -euo pipefail

GO_MIN_MINOR=24   # Jaeger v2 (stack/jaeger/go.mod) needs go >= 1.24
JAVA_MIN=17       # Kafka 3.9 broker

missing_pkgs=()
problems=()

have() { # on PATH, or in the sbin dirs that a non-root PATH often lacks (ip, tc, bpftool live there)
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}
need_cmd() { # need_cmd <command> <debian package>
  if ! have "$1"; then missing_pkgs+=("$2"); echo "missing: $1 (package $2)"; fi
}
need_file() { # need_file <path> <debian package>
  if [ ! -e "$1" ]; then missing_pkgs+=("$2"); echo "missing: $1 (package $2)"; fi
}

java_major() { # prints the major version of `java`, or 0
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9.]*\).*/\1/p' | head -n1)
  case "$v" in 1.*) echo "${v#1.}" | cut -d. -f1 ;; "") echo 0 ;; *) echo "${v%%.*}" ;; esac
}
go_minor() { # prints N of go1.N, or 0
  go version 2>/dev/null | sed -n 's/.* go1\.\([0-9]*\).*/\1/p' | head -n1 | grep . || echo 0
}

need_cmd clang clang
need_cmd llvm-strip llvm
need_cmd bpftool bpftool
need_file /usr/include/bpf/libbpf.h libbpf-dev
need_cmd pkg-config pkg-config
need_cmd make make
need_cmd g++ g++
need_cmd redis-server redis-server
need_cmd redis-cli redis-tools
need_cmd curl curl
need_cmd ip iproute2
need_cmd tc iproute2
need_cmd nft nftables   # the INT test of a netfilter drop rule inside a pod's namespace
need_cmd python3 python3
need_cmd mvn maven
need_cmd tshark tshark   # the pcap export test dissects its files with it
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt "$JAVA_MIN" ]; then
  missing_pkgs+=(default-jdk-headless); echo "missing: java $JAVA_MIN+ (package default-jdk-headless)"
fi
if ! command -v go >/dev/null 2>&1; then
  missing_pkgs+=(golang-go); echo "missing: go (package golang-go; must be >= 1.$GO_MIN_MINOR)"
fi

# De-duplicate (iproute2 can be listed twice).
mapfile -t missing_pkgs < <(printf '%s\n' "${missing_pkgs[@]}" | sed '/^$/d' | sort -u)

if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  if [ "${CHECK_ONLY:-0}" = 1 ]; then
    echo "ensure-system: would install: ${missing_pkgs[*]}" >&2; exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-system: missing packages: ${missing_pkgs[*]}; run this script as root (sudo $0)" >&2
    exit 1
  fi
  echo "ensure-system: installing ${missing_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark's wireshark-common asks whether non-root users may capture: no (answered, never asked)
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}"
fi

# Versions that a package install cannot always fix: report them clearly.
if command -v java >/dev/null 2>&1 && [ "$(java_major)" -lt "$JAVA_MIN" ]; then
  problems+=("java is $(java_major), need $JAVA_MIN+ (apt-get install openjdk-17-jdk-headless or newer, then update-alternatives --config java)")
fi
if ! command -v go >/dev/null 2>&1 || [ "$(go_minor)" -lt "$GO_MIN_MINOR" ]; then
  problems+=("go is $(go version 2>/dev/null || echo missing), need go1.$GO_MIN_MINOR+ to build Jaeger: install it from https://go.dev/dl/ (Debian's golang-go may be older) or set CLOVISOR_OTLP_ENDPOINT/CLOVISOR_JAEGER_QUERY to an existing Jaeger")
fi
if [ "${#problems[@]}" -gt 0 ]; then
  printf 'ensure-system: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "ensure-system: all prerequisites present"
