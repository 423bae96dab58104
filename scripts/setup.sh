#!/usr/bin/env bash
# Installs the Debian packages the build, tests and tools need, then the pinned Node packages of
# the server tests (npm ci). Idempotent: only what is
# missing is installed. As root it runs apt-get; otherwise it prints the command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ccache pkg-config
  clang libclang-rt-dev                      # libFuzzer + sanitizers for the fuzz target
  libgtest-dev libgmock-dev libbenchmark-dev
  libpcre2-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libedit-dev
  python3 python3-numpy                      # independent NumPy reference of the forward pass
  python3-torch python3-sentencepiece        # PyTorch references (HF models in `convert` tests, trainer gradients); SentencePiece test vocabularies
  sentencepiece xz-utils                     # tokenizer training (scripts/build_corpus.sh), the corpus in data/
  g++-aarch64-linux-gnu qemu-user            # NEON kernels, cross-built and run under qemu
  chromium nginx                             # server tests: the web page in a browser, scale-out
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

install_node_packages() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: Node.js 20+ with npm is needed for the server tests (https://nodejs.org or Debian's nodejs)" >&2
    exit 1
  fi
  # The server tests' Node packages, exactly as package-lock.json pins them (reinstalled when it changes).
  if [ ! -f node_modules/.bitnet-lock ] || ! cmp -s package-lock.json node_modules/.bitnet-lock; then
    echo "setup: npm ci (package-lock.json)"
    npm ci --ignore-scripts --no-audit --no-fund
    cp package-lock.json node_modules/.bitnet-lock
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  install_node_packages
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "setup: not root; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update -q
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi
install_node_packages
