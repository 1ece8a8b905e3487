// Shared helpers for the tstrace native addon: argument validation and
// errno-carrying JS errors. The addon is built with C++ exceptions enabled
// (NAPI_CPP_EXCEPTIONS): helpers throw Napi::Error, which node-addon-api turns
// into a thrown JS Error when the native function returns.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace tstrace {

// Throw a JS Error `<what>: <strerror(err)>` with `errno` (number) and `code`
// (e.g. "EACCES") properties.
[[noreturn]] void ThrowErrno(Napi::Env env, const std::string& what, int err);

// Build (without throwing) the same error object, so callers can add fields.
Napi::Error ErrnoError(Napi::Env env, const std::string& what, int err);

// Argument helpers: throw TypeError naming the argument on mismatch.
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name);
uint32_t ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name);
int ArgFd(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* name);
bool ArgIsMissing(const Napi::CallbackInfo& info, size_t i);  // undefined/null/absent

// Integer conversion from a number or bigint value (u64 semantics; negative
// numbers are rejected). `what` names the value in error messages.
uint64_t ValueU64(Napi::Env env, Napi::Value v, const std::string& what);
int64_t ValueInt(Napi::Env env, Napi::Value v, const std::string& what);

// Object property helpers: `Has` returns false for absent/undefined/null.
bool Has(Napi::Object o, const char* key);
uint64_t PropU64(Napi::Object o, const char* key, const std::string& ctx);
int64_t PropInt(Napi::Object o, const char* key, const std::string& ctx);

// Last message libbpf tried to print (libbpf output is captured, never printed).
const std::string& LastLibbpfMessage();

// Module registration, one per source file.
void InitEmit(Napi::Env env, Napi::Object exports);
void InitBpf(Napi::Env env, Napi::Object exports);
void InitRingbuf(Napi::Env env, Napi::Object exports);
void InitHangup(Napi::Env env, Napi::Object exports);
void InitDemangle(Napi::Env env, Napi::Object exports);
void InitPreload(Napi::Env env, Napi::Object exports);
void InitDigest(Napi::Env env, Napi::Object exports);
void InitKallsyms(Napi::Env env, Napi::Object exports);

}  // namespace tstrace
