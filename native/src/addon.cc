// tstrace native addon: entry point. See src/runtime/native.ts for the API.
#include "common.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tstrace::InitEmit(env, exports);
  tstrace::InitBpf(env, exports);
  tstrace::InitRingbuf(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tstrace_native, Init)
