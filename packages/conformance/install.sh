#!/usr/bin/env bash
# Installs what the hardware-conformance tests need, on the two QEMUs they run on:
# 1. the system's: the QEMU system emulators of the five architectures from the distribution (Debian / Ubuntu
#    packages qemu-system-x86, qemu-system-arm, qemu-system-misc; QEMU 7.2 on Debian bookworm) and gdb-multiarch
#    (used by hand to disassemble the guest stubs; the tests themselves use QEMU's own disassembler);
# 2. a current one: Debian trixie's QEMU, unpacked into a cache folder by install-current.mjs (see there);
# and the distribution kernels the real-kernel tests boot (Debian bookworm's armmp-lpae), into the same cache folder
# by install-kernels.mjs.
# Idempotent: each part does nothing when it is already there. Part 1 needs root (or sudo) when it installs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

needed=(qemu-system-x86_64 qemu-system-aarch64 qemu-system-arm qemu-system-riscv32 qemu-system-riscv64 qemu-system-loongarch64 gdb-multiarch)
missing=()
for b in "${needed[@]}"; do
  command -v "$b" >/dev/null 2>&1 || missing+=("$b")
done
status=0
if [ "${#missing[@]}" -eq 0 ]; then
  echo "conformance: QEMU and gdb-multiarch are installed ($(qemu-system-x86_64 --version | head -n 1))"
elif ! command -v apt-get >/dev/null 2>&1; then
  echo "conformance: missing ${missing[*]} and no apt-get here; install QEMU (x86_64, aarch64, arm, riscv32, riscv64, loongarch64) and gdb-multiarch by hand" >&2
  status=1
else
  echo "conformance: missing ${missing[*]}; installing"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "conformance: not root and no sudo: cannot install QEMU" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt=($sudo apt-get -o Acquire::Retries=3)
  "${apt[@]}" update -qq
  "${apt[@]}" install -y -qq --no-install-recommends qemu-system-x86 qemu-system-arm qemu-system-misc gdb-multiarch >/dev/null
  for b in "${needed[@]}"; do
    command -v "$b" >/dev/null 2>&1 || { echo "conformance: $b is still missing after the install" >&2; status=1; }
  done
  [ "$status" -ne 0 ] || echo "conformance: installed $(qemu-system-x86_64 --version | head -n 1)"
fi

# the current QEMU, whatever became of the system's
node "$here/install-current.mjs" || status=1
# the kernels, whatever became of either QEMU
node "$here/install-kernels.mjs" || status=1
exit "$status"
