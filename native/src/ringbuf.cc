// Ring buffer consumption integrated with Node's event loop.
//
// libbpf's ring_buffer exposes an epoll fd that becomes readable when any of
// its rings has data; a uv_poll_t watches that fd in Node's loop (no busy
// polling, no threads). On each wakeup every available record is consumed and
// the whole batch is delivered to JS in one call, framed as
//   [u32 little-endian length][payload][zero padding to a multiple of 8]
// per record.
#include "common.h"

#include <bpf/libbpf.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

namespace tstrace {
namespace {

// Stop one consume pass once a batch holds this much; the rest is picked up
// on the next (level-triggered) wakeup or by the ringbufConsume drain loop.
constexpr size_t kBatchSoftLimit = 16u << 20;
constexpr int kBatchFull = -ECANCELED;  // returned by the sample callback to pause

struct RingHandle {
  uint32_t id = 0;
  napi_env env = nullptr;
  ring_buffer* rb = nullptr;
  uv_poll_t poll;
  bool polling = false;
  bool closed = false;
  Napi::FunctionReference onData;
  std::unique_ptr<Napi::AsyncContext> asyncCtx;
  std::vector<uint8_t> batch;
  size_t batchRecords = 0;
};

std::unordered_map<uint32_t, RingHandle*> gHandles;
uint32_t gNextId = 1;

int OnSample(void* ctx, void* data, size_t size) {
  auto* h = static_cast<RingHandle*>(ctx);
  size_t off = h->batch.size();
  size_t total = (4 + size + 7) & ~size_t(7);
  h->batch.resize(off + total, 0);  // zero padding
  uint32_t len = static_cast<uint32_t>(size);
  uint8_t* p = h->batch.data() + off;
  p[0] = len & 0xff;
  p[1] = (len >> 8) & 0xff;
  p[2] = (len >> 16) & 0xff;
  p[3] = (len >> 24) & 0xff;
  memcpy(p + 4, data, size);
  h->batchRecords++;
  return h->batch.size() >= kBatchSoftLimit ? kBatchFull : 0;
}

// One consume pass into h->batch. Returns records consumed, or -errno.
// *more is set when the pass stopped early because the batch was full.
long ConsumeOnce(RingHandle* h, bool* more) {
  *more = false;
  size_t before = h->batchRecords;
  int rc = ring_buffer__consume(h->rb);
  long n = static_cast<long>(h->batchRecords - before);
  if (rc == kBatchFull) {
    *more = true;
    return n;
  }
  if (rc < 0) return rc;
  return n;
}

// Hands the pending batch to JS. Throws Napi::Error if the callback threw.
void Deliver(RingHandle* h) {
  if (h->batch.empty() || h->closed) return;
  std::vector<uint8_t> out;
  out.swap(h->batch);  // the callback may re-enter ringbufConsume
  h->batchRecords = 0;
  Napi::Env env(h->env);
  auto* vec = new std::vector<uint8_t>(std::move(out));
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(
      env, vec->data(), vec->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, vec);
  h->onData.MakeCallback(env.Global(), {buf}, *h->asyncCtx);
}

void OnClosed(uv_handle_t* handle) {
  auto* h = static_cast<RingHandle*>(handle->data);
  if (h->asyncCtx) {
    // Destroyed here rather than in CloseHandle: ringbufClose may be called
    // from inside onData, while the async context is still in use.
    napi_handle_scope scope;
    if (napi_open_handle_scope(h->env, &scope) == napi_ok) {
      h->asyncCtx.reset();
      napi_close_handle_scope(h->env, scope);
    } else {
      h->asyncCtx.release();  // environment gone: leak rather than crash
    }
  }
  delete h;
}

// Idempotent teardown: stops polling, frees the ring buffer, and lets libuv
// release the handle (which then no longer keeps the loop alive).
void CloseHandle(RingHandle* h) {
  if (h->closed) return;
  h->closed = true;
  gHandles.erase(h->id);
  if (h->polling) uv_poll_stop(&h->poll);
  h->onData.Reset();
  ring_buffer__free(h->rb);  // closes the epoll fd: uv_poll_stop has removed it already
  h->rb = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&h->poll), OnClosed);
}

void OnPoll(uv_poll_t* poll, int status, int /*events*/) {
  auto* h = static_cast<RingHandle*>(poll->data);
  if (h->closed) return;
  Napi::Env env(h->env);
  Napi::HandleScope scope(env);
  try {
    if (status < 0) throw Napi::Error::New(env, std::string("ring buffer poll failed: ") + uv_strerror(status));
    bool more = false;
    long n = ConsumeOnce(h, &more);
    if (n < 0) throw ErrnoError(env, "ring buffer consume failed", static_cast<int>(-n));
    Deliver(h);
  } catch (const Napi::Error& e) {
    // Nobody up the stack can catch this: report it like any uncaught
    // exception in a callback (process 'uncaughtException').
    napi_fatal_exception(env, e.Value());
  }
}

RingHandle* Lookup(Napi::Env env, uint32_t id) {
  auto it = gHandles.find(id);
  if (it == gHandles.end()) throw Napi::Error::New(env, "invalid or closed ring buffer handle " + std::to_string(id));
  return it->second;
}

Napi::Value RingbufOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int mapFd = ArgFd(info, 0, "mapFd");
  if (info.Length() < 2 || !info[1].IsFunction()) throw Napi::TypeError::New(env, "argument 'onData' must be a function");

  auto h = std::make_unique<RingHandle>();
  h->env = env;
  h->rb = ring_buffer__new(mapFd, OnSample, h.get(), nullptr);
  if (!h->rb) {
    int err = errno;
    Napi::Error e = ErrnoError(env, "failed to open ring buffer on map fd " + std::to_string(mapFd), err);
    if (!LastLibbpfMessage().empty()) e.Set("detail", Napi::String::New(env, LastLibbpfMessage()));
    throw e;
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
    ring_buffer__free(h->rb);
    throw Napi::Error::New(env, "cannot get the libuv event loop");
  }
  int rc = uv_poll_init(loop, &h->poll, ring_buffer__epoll_fd(h->rb));
  if (rc < 0) {
    ring_buffer__free(h->rb);
    throw Napi::Error::New(env, std::string("uv_poll_init failed: ") + uv_strerror(rc));
  }
  h->poll.data = h.get();
  rc = uv_poll_start(&h->poll, UV_READABLE, OnPoll);
  if (rc < 0) {
    // The poll handle is initialised: it must go through uv_close.
    RingHandle* raw = h.release();
    raw->id = 0;
    CloseHandle(raw);
    throw Napi::Error::New(env, std::string("uv_poll_start failed: ") + uv_strerror(rc));
  }
  h->polling = true;
  h->onData = Napi::Persistent(info[1].As<Napi::Function>());
  h->asyncCtx = std::make_unique<Napi::AsyncContext>(env, "tstrace:ringbuf");
  h->id = gNextId++;
  gHandles[h->id] = h.get();
  return Napi::Number::New(env, h.release()->id);
}

Napi::Value RingbufConsume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingHandle* h = Lookup(env, ArgU32(info, 0, "handle"));
  long total = 0;
  bool more = true;
  while (more && !h->closed) {
    long n = ConsumeOnce(h, &more);
    if (n < 0) throw ErrnoError(env, "ring buffer consume failed", static_cast<int>(-n));
    total += n;
    Deliver(h);  // a JS exception propagates to our caller
  }
  return Napi::Number::New(env, static_cast<double>(total));
}

Napi::Value RingbufClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = ArgU32(info, 0, "handle");
  auto it = gHandles.find(id);
  if (it != gHandles.end()) CloseHandle(it->second);  // closing twice is a no-op
  return env.Undefined();
}

}  // namespace

void InitRingbuf(Napi::Env env, Napi::Object exports) {
  exports.Set("ringbufOpen", Napi::Function::New(env, RingbufOpen, "ringbufOpen"));
  exports.Set("ringbufConsume", Napi::Function::New(env, RingbufConsume, "ringbufConsume"));
  exports.Set("ringbufClose", Napi::Function::New(env, RingbufClose, "ringbufClose"));
}

}  // namespace tstrace
