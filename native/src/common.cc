#include "common.h"

#include <cerrno>
#include <cmath>
#include <cstring>

namespace tstrace {

Napi::Error ErrnoError(Napi::Env env, const std::string& what, int err) {
  std::string msg = what + ": " + std::strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  const char* name = strerrorname_np(err);
  if (name) e.Set("code", Napi::String::New(env, name));
  return e;
}

void ThrowErrno(Napi::Env env, const std::string& what, int err) {
  throw ErrnoError(env, what, err);
}

bool ArgIsMissing(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsUndefined() || info[i].IsNull();
}

static Napi::TypeError TypeErr(Napi::Env env, const std::string& msg) {
  return Napi::TypeError::New(env, msg);
}

int64_t ValueInt(Napi::Env env, Napi::Value v, const std::string& what) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9007199254740992.0)
      throw TypeErr(env, what + " must be an integer");
    return static_cast<int64_t>(d);
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t r = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(env, what + " does not fit in 64 bits");
    return r;
  }
  throw TypeErr(env, what + " must be a number or bigint");
}

uint64_t ValueU64(Napi::Env env, Napi::Value v, const std::string& what) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(env, what + " does not fit in an unsigned 64-bit integer");
    return r;
  }
  int64_t r = ValueInt(env, v, what);
  if (r < 0) throw Napi::RangeError::New(env, what + " must not be negative");
  return static_cast<uint64_t>(r);
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length()) throw TypeErr(info.Env(), std::string("missing argument '") + name + "'");
  return ValueInt(info.Env(), info[i], std::string("argument '") + name + "'");
}

uint32_t ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  int64_t v = ArgInt(info, i, name);
  if (v < 0 || v > UINT32_MAX)
    throw Napi::RangeError::New(info.Env(), std::string("argument '") + name + "' is out of range for u32");
  return static_cast<uint32_t>(v);
}

int ArgFd(const Napi::CallbackInfo& info, size_t i, const char* name) {
  int64_t v = ArgInt(info, i, name);
  if (v < 0 || v > INT32_MAX)
    throw Napi::RangeError::New(info.Env(), std::string("argument '") + name + "' is not a valid file descriptor");
  return static_cast<int>(v);
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString())
    throw TypeErr(info.Env(), std::string("argument '") + name + "' must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBuffer())
    throw TypeErr(info.Env(), std::string("argument '") + name + "' must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsObject())
    throw TypeErr(info.Env(), std::string("argument '") + name + "' must be an object");
  return info[i].As<Napi::Object>();
}

bool Has(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

uint64_t PropU64(Napi::Object o, const char* key, const std::string& ctx) {
  return ValueU64(o.Env(), o.Get(key), ctx + "." + key);
}

int64_t PropInt(Napi::Object o, const char* key, const std::string& ctx) {
  return ValueInt(o.Env(), o.Get(key), ctx + "." + key);
}

}  // namespace tstrace
