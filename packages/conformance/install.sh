#!/usr/bin/env bash
# Installs what the hardware-conformance tests need: the QEMU system emulators of the five architectures
# (Debian / Ubuntu packages qemu-system-x86, qemu-system-arm, qemu-system-misc) and gdb-multiarch (used by
# hand to disassemble the guest stubs; the tests themselves use QEMU's own disassembler).
# Idempotent: does nothing when every binary is already on PATH. Needs root (or sudo) to install.
set -euo pipefail

needed=(qemu-system-x86_64 qemu-system-aarch64 qemu-system-arm qemu-system-riscv64 qemu-system-loongarch64 gdb-multiarch)
missing=()
for b in "${needed[@]}"; do
  command -v "$b" >/dev/null 2>&1 || missing+=("$b")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "conformance: QEMU and gdb-multiarch are installed ($(qemu-system-x86_64 --version | head -n 1))"
  exit 0
fi
echo "conformance: missing ${missing[*]}; installing"

if ! command -v apt-get >/dev/null 2>&1; then
  echo "conformance: no apt-get here; install QEMU (x86_64, aarch64, arm, riscv64, loongarch64) and gdb-multiarch by hand" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "conformance: not root and no sudo: cannot install QEMU" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends qemu-system-x86 qemu-system-arm qemu-system-misc gdb-multiarch >/dev/null
for b in "${needed[@]}"; do
  command -v "$b" >/dev/null 2>&1 || { echo "conformance: $b is still missing after the install" >&2; exit 1; }
done
echo "conformance: installed $(qemu-system-x86_64 --version | head -n 1)"
