// SHA-256 for the compile cache's keys and checksums (src/digest.ts) without
// Node's crypto module, whose JS side costs ~13 ms to load at every start.
// The function is OpenSSL's, exported by the node binary itself (not linked
// here: the addon's undefined symbol binds to node's copy).
#include "common.h"

#include <openssl/sha.h>

namespace tstrace {
namespace {

Napi::Value Sha256(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string text;
  const unsigned char* data;
  size_t len;
  if (info[0].IsBuffer()) {
    auto buf = info[0].As<Napi::Buffer<uint8_t>>();
    data = buf.Data();
    len = buf.Length();
  } else if (info[0].IsString()) {
    text = info[0].As<Napi::String>().Utf8Value();
    data = reinterpret_cast<const unsigned char*>(text.data());
    len = text.size();
  } else {
    throw Napi::TypeError::New(env, "data: expected a Buffer or a string");
  }
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(data, len, md);
  static const char hex[] = "0123456789abcdef";
  char out[2 * SHA256_DIGEST_LENGTH];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return Napi::String::New(env, out, sizeof out);
}

}  // namespace

void InitDigest(Napi::Env env, Napi::Object exports) {
  exports.Set("sha256", Napi::Function::New(env, Sha256, "sha256"));
}

}  // namespace tstrace
