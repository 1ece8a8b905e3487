#!/usr/bin/env bash
# Installs everything tstrace needs on a fresh Debian machine (as root) and builds it.
#   apt: llvm-14-dev (LLVM for llvm-bindings and the native addon), libbpf-dev
#        (BPF runtime), bpftrace (the differential-test oracle), bpftool (tests
#        check nothing stays loaded), cmake + build-essential (native builds),
#        systemtap-sdt-dev (sys/sdt.h for the USDT test programs), chromium
#        (headless browser tests of the explorer)
#   npm: the packages in package-lock.json (llvm-bindings builds against LLVM 14, ~2 min)
#   build: the native addons (node-gyp; the LLVM one relinks llvm-bindings' objects
#          from npm ci's build with LLVM's BPF target only) and the TypeScript sources (tsc)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  llvm-14-dev libbpf-dev libelf-dev zlib1g-dev bpftrace bpftool cmake build-essential python3 \
  systemtap-sdt-dev chromium >/dev/null
npm ci --no-audit --no-fund
npm run build
