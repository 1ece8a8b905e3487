// C++ symbol demangling for ustack/usym (abi::__cxa_demangle from libstdc++).
#include "common.h"

#include <cxxabi.h>

#include <cstdlib>
#include <string>

namespace tstrace {
namespace {

// demangle(names: string[]): string[] — each Itanium-mangled name demangled,
// anything that is not a mangled name (or fails) returned unchanged.
Napi::Value Demangle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "argument 'names' must be an array of strings");
  Napi::Array names = info[0].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env, names.Length());
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).ToString().Utf8Value();
    if (name.rfind("_Z", 0) == 0) {
      int status = 0;
      char* d = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
      if (status == 0 && d) name = d;
      free(d);
    }
    out.Set(i, Napi::String::New(env, name));
  }
  return out;
}

}  // namespace

void InitDemangle(Napi::Env env, Napi::Object exports) {
  exports.Set("demangle", Napi::Function::New(env, Demangle, "demangle"));
}

}  // namespace tstrace
