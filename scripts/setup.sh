#!/usr/bin/env bash
# Installs the Debian packages the build, tests and tools need. Idempotent: only what is
# missing is installed. As root it runs apt-get; otherwise it prints the command to run.
set -euo pipefail

PACKAGES=(
  build-essential cmake ccache pkg-config
  clang libclang-rt-dev                      # libFuzzer + sanitizers for the fuzz target
  libgtest-dev libgmock-dev libbenchmark-dev
  libpcre2-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libedit-dev
  python3 python3-numpy                      # independent NumPy reference of the forward pass
  python3-torch                              # PyTorch check of the trainer's gradients
  sentencepiece xz-utils                     # tokenizer training (scripts/build_corpus.sh), the corpus in data/
  g++-aarch64-linux-gnu qemu-user            # NEON kernels, cross-built and run under qemu
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
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
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
