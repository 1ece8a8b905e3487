// Loading LLVM in the background. A cold start loads the LLVM addon
// (llvm-bindings' API and emission over one BPF-only LLVM, native/binding.gyp),
// ~9 ms of dlopen here: relocations and LLVM's static constructors (two LLVM
// copies with every target took ~55 ms before). preloadLibraries dlopens it on
// a thread of its own while the main thread parses and type-checks; the later
// require() of the same file gets the already-loaded handle (glibc's dlopen is
// thread-safe and returns the existing handle; a require() that comes too
// early waits on the loader lock). Addons register through the exported
// napi_register_module_v1 symbol, which Node looks up on its own thread, so
// nothing of the registration happens here. Failures are ignored: the
// require() that follows reports them.
//
// The process must not exit while the thread is still running LLVM's static
// constructors: exit() would run the destructors of those already built
// while the thread adds more (a crash after a syntax error). preloadLlvm
// (src/runtime/native.ts) calls waitPreload from process.on('exit').
#include "common.h"

#include <dlfcn.h>

#include <string>
#include <thread>
#include <vector>

namespace tstrace {
namespace {

// Never destroyed: a joinable std::thread's destructor would terminate.
std::thread* gPreload = nullptr;

Napi::Value PreloadLibraries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "paths: expected an array of strings");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) throw Napi::TypeError::New(env, "paths: expected an array of strings");
    paths.push_back(v.As<Napi::String>().Utf8Value());
  }
  if (gPreload) return env.Undefined();  // once per process
  gPreload = new std::thread([paths = std::move(paths)]() {
    // RTLD_LAZY as Node's process.dlopen uses by default; the handles are
    // never closed (the addons stay loaded for the life of the process anyway).
    for (const std::string& p : paths) dlopen(p.c_str(), RTLD_LAZY);
  });
  return env.Undefined();
}

Napi::Value WaitPreload(const Napi::CallbackInfo& info) {
  if (gPreload && gPreload->joinable()) gPreload->join();
  return info.Env().Undefined();
}

}  // namespace

void InitPreload(Napi::Env env, Napi::Object exports) {
  exports.Set("preloadLibraries", Napi::Function::New(env, PreloadLibraries, "preloadLibraries"));
  exports.Set("waitPreload", Napi::Function::New(env, WaitPreload, "waitPreload"));
}

}  // namespace tstrace
