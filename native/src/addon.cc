// tstrace native addon, BPF runtime half (libbpf): entry point. See src/runtime/native.ts.
// LLVM object emission is a separate addon (addon_llvm.cc), so a cached
// compile never loads LLVM.
#include "common.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tstrace::InitBpf(env, exports);
  tstrace::InitRingbuf(env, exports);
  tstrace::InitHangup(env, exports);
  tstrace::InitDemangle(env, exports);
  tstrace::InitPreload(env, exports);
  tstrace::InitDigest(env, exports);
  tstrace::InitKallsyms(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tstrace_native, Init)
