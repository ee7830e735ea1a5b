# Shared by scripts/*.sh: installs what is missing, builds into build/.
# Sourced, not run.

HEAPAGENT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs the Debian packages in "$@" that are not installed yet; quick when
# everything is there (one dpkg-query, no apt-get).
install_missing_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Everything needed to build the agent and run its tests.
install_build_dependencies() {
  install_missing_packages build-essential cmake pkg-config ca-certificates \
    libunwind-dev libdw-dev zlib1g-dev libwebsocketpp-dev libasio-dev libsimdjson-dev libcurl4-openssl-dev \
    libprotobuf-dev protobuf-compiler libgtest-dev libbenchmark-dev \
    golang-go clang libclang-rt-14-dev python3
  # node: the machine's own if it has one, else Debian's.
  command -v node >/dev/null 2>&1 || install_missing_packages nodejs
  command -v npm >/dev/null 2>&1 || install_missing_packages npm
}

# What only the tests need: Debian's Chromium, to load the CLI's HTML
# reports headless and check what they render; Debian's jemalloc (the
# runtime package only), for HEAPAGENT_ALLOCATOR=jemalloc.
install_test_dependencies() {
  install_missing_packages chromium libjemalloc2
}

# Installs node MAJOR from the npm registry's `node` package into
# .cache/node/MAJOR (once) and prints the binary's path. The JS tests run on
# every node in HEAPAGENT_TEST_NODES.
install_node_major() {
  local major="$1" prefix="$HEAPAGENT_ROOT/.cache/node/$1"
  local binary="$prefix/node_modules/node/bin/node"
  if [ ! -x "$binary" ]; then
    say "installing node $major from the npm registry into $prefix"
    mkdir -p "$prefix"
    (cd "$prefix" && npm install --no-audit --no-fund --silent "node@$major" >/dev/null)
  fi
  "$binary" --version >/dev/null && echo "$binary"
}

# Installs an npm package into .cache/npm (once) for the tests, e.g. the
# @datadog/pprof heap profiler the agent must detect and report.
install_npm_package() {
  local package="$1" prefix="$HEAPAGENT_ROOT/.cache/npm"
  local name="${package%@*}"
  if [ ! -d "$prefix/node_modules/$name" ]; then
    say "installing $package from the npm registry into $prefix"
    mkdir -p "$prefix"
    (cd "$prefix" && npm install --no-audit --no-fund --silent "$package" >/dev/null)
  fi
  [ -d "$prefix/node_modules/$name" ]
}

# configure_and_build DIR [cmake args...] [-- build args...]
configure_and_build() {
  local dir="$1"
  shift
  local -a configure_args=() build_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do configure_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  build_args=("$@")
  cmake -S "$HEAPAGENT_ROOT" -B "$HEAPAGENT_ROOT/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${configure_args[@]}" >/dev/null
  cmake --build "$HEAPAGENT_ROOT/$dir" -j "$(nproc)" "${build_args[@]}"
}
