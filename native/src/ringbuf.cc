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
#include <sys/mman.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <memory>
#include <unordered_map>
#include <vector>

namespace tstrace {
namespace {

// Stop one consume pass once a batch holds this much; the rest is picked up
// on the next (level-triggered) wakeup or by the ringbufConsume drain loop.
constexpr size_t kBatchSoftLimit = 16u << 20;
constexpr int kBatchFull = -ECANCELED;  // returned by the sample callback to pause

// printf sites formatted here, in text mode (ringbufSetFormats): runs of
// their records reach JS as one text pseudo-record (length | kTextFlag)
// instead of one record each. The conversions are the ones of
// src/runtime/printf-record.ts (%d %i %u %x %X %o of integers, %s of
// strings, no flags, widths or precisions), with the same output.
constexpr uint32_t kTextFlag = 0x80000000u;

struct Conv {
  char conv = 'd';      // d u x X o s
  uint32_t offset = 0;  // in the record
  uint32_t bits = 64;   // integers: the width the conversion sees
  uint32_t size = 0;    // strings: capacity
};

struct SiteFormat {
  std::vector<std::string> literals;  // literals.size() == convs.size() + 1
  std::vector<Conv> convs;
  uint32_t recordSize = 8;
};

template <typename T>
T ReadLE(const uint8_t* p) {
  T v;
  memcpy(&v, p, sizeof v);  // x86-64 and the BPF target are little-endian
  return v;
}

template <typename T>
void AppendNumber(std::string& out, T v, int base, bool upper) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, base);
  if (upper)
    for (char* c = buf; c < r.ptr; c++) *c = static_cast<char>(toupper(*c));
  out.append(buf, r.ptr);
}

void AppendConv(std::string& out, const Conv& c, const uint8_t* rec) {
  const uint8_t* p = rec + c.offset;
  if (c.conv == 's') {
    const void* nul = memchr(p, 0, c.size);
    out.append(reinterpret_cast<const char*>(p), nul ? static_cast<const uint8_t*>(nul) - p : c.size);
    return;
  }
  if (c.conv == 'd') {
    switch (c.bits) {
      case 8: return AppendNumber(out, ReadLE<int8_t>(p), 10, false);
      case 16: return AppendNumber(out, ReadLE<int16_t>(p), 10, false);
      case 32: return AppendNumber(out, ReadLE<int32_t>(p), 10, false);
      default: return AppendNumber(out, ReadLE<int64_t>(p), 10, false);
    }
  }
  int base = c.conv == 'u' ? 10 : c.conv == 'o' ? 8 : 16;
  bool upper = c.conv == 'X';
  switch (c.bits) {
    case 8: return AppendNumber(out, ReadLE<uint8_t>(p), base, upper);
    case 16: return AppendNumber(out, ReadLE<uint16_t>(p), base, upper);
    case 32: return AppendNumber(out, ReadLE<uint32_t>(p), base, upper);
    default: return AppendNumber(out, ReadLE<uint64_t>(p), base, upper);
  }
}

// The site's text for one record, or false when the record is not one of them.
bool FormatRecord(const std::vector<SiteFormat*>& sites, const uint8_t* rec, size_t size, std::string& out) {
  if (size < 8) return false;
  uint64_t kind = ReadLE<uint64_t>(rec);
  if (kind >= sites.size() || !sites[kind] || size < sites[kind]->recordSize) return false;
  const SiteFormat& f = *sites[kind];
  out += f.literals[0];
  for (size_t i = 0; i < f.convs.size(); i++) {
    AppendConv(out, f.convs[i], rec);
    out += f.literals[i + 1];
  }
  return true;
}

// Appends one framed entry ([u32 length | flags][bytes][padding to 8]) to a batch.
void AppendFramed(std::vector<uint8_t>& batch, const void* data, size_t size, uint32_t flags) {
  size_t off = batch.size();
  size_t total = (4 + size + 7) & ~size_t(7);
  batch.resize(off + total, 0);  // zero padding
  uint32_t len = static_cast<uint32_t>(size) | flags;
  uint8_t* p = batch.data() + off;
  p[0] = len & 0xff;
  p[1] = (len >> 8) & 0xff;
  p[2] = (len >> 16) & 0xff;
  p[3] = (len >> 24) & 0xff;
  memcpy(p + 4, data, size);
}

std::vector<SiteFormat*> ParseFormats(Napi::Env env, Napi::Value v, std::vector<std::unique_ptr<SiteFormat>>& owned) {
  std::vector<SiteFormat*> sites;
  if (!v.IsArray()) throw Napi::TypeError::New(env, "formats must be an array");
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value e = arr.Get(i);
    if (!e.IsObject()) continue;  // holes: sites JS formats itself
    Napi::Object o = e.As<Napi::Object>();
    uint32_t id = o.Get("id").ToNumber().Uint32Value();
    auto f = std::make_unique<SiteFormat>();
    Napi::Array lits = o.Get("literals").As<Napi::Array>();
    for (uint32_t k = 0; k < lits.Length(); k++) {
      // Latin-1 text: one byte per character, as JS writes it.
      std::u16string u = lits.Get(k).As<Napi::String>().Utf16Value();
      std::string bytes;
      for (char16_t ch : u) bytes.push_back(static_cast<char>(ch & 0xff));
      f->literals.push_back(std::move(bytes));
    }
    Napi::Array convs = o.Get("convs").As<Napi::Array>();
    for (uint32_t k = 0; k < convs.Length(); k++) {
      Napi::Object c = convs.Get(k).As<Napi::Object>();
      Conv cv;
      cv.conv = c.Get("conv").As<Napi::String>().Utf8Value()[0];
      cv.offset = c.Get("offset").ToNumber().Uint32Value();
      cv.bits = c.Get("bits").ToNumber().Uint32Value();
      cv.size = c.Get("size").ToNumber().Uint32Value();
      f->recordSize = std::max<uint32_t>(f->recordSize, cv.offset + (cv.conv == 's' ? cv.size : 8));
      f->convs.push_back(cv);
    }
    if (f->literals.size() != f->convs.size() + 1) throw Napi::TypeError::New(env, "formats: literals must be one more than convs");
    if (id >= sites.size()) sites.resize(id + 1, nullptr);
    sites[id] = f.get();
    owned.push_back(std::move(f));
  }
  return sites;
}

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
  std::vector<std::unique_ptr<SiteFormat>> ownedFormats;
  std::vector<SiteFormat*> formats;
  std::string text;  // formatted output of the current run of such records
  // Read-only views of the ring's consumer and producer positions (ringbufPending).
  void* consumerPage = MAP_FAILED;
  void* producerPage = MAP_FAILED;
  size_t pageSize = 0;
};

void UnmapPositions(RingHandle* h) {
  if (h->consumerPage != MAP_FAILED) munmap(h->consumerPage, h->pageSize);
  if (h->producerPage != MAP_FAILED) munmap(h->producerPage, h->pageSize);
  h->consumerPage = h->producerPage = MAP_FAILED;
}

// Ends the current run of formatted records: one text entry in the batch.
void FlushText(RingHandle* h) {
  if (h->text.empty()) return;
  AppendFramed(h->batch, h->text.data(), h->text.size(), kTextFlag);
  h->text.clear();
}

std::unordered_map<uint32_t, RingHandle*> gHandles;
uint32_t gNextId = 1;

int OnSample(void* ctx, void* data, size_t size) {
  auto* h = static_cast<RingHandle*>(ctx);
  h->batchRecords++;
  if (!h->formats.empty() && FormatRecord(h->formats, static_cast<const uint8_t*>(data), size, h->text))
    return h->text.size() + h->batch.size() >= kBatchSoftLimit ? kBatchFull : 0;
  FlushText(h);
  AppendFramed(h->batch, data, size, 0);
  return h->batch.size() >= kBatchSoftLimit ? kBatchFull : 0;
}

// One consume pass into h->batch. Returns records consumed, or -errno.
// *more is set when the pass stopped early because the batch was full.
long ConsumeOnce(RingHandle* h, bool* more) {
  *more = false;
  size_t before = h->batchRecords;
  int rc = ring_buffer__consume(h->rb);
  FlushText(h);
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
  UnmapPositions(h);
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
  h->pageSize = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  h->consumerPage = mmap(nullptr, h->pageSize, PROT_READ, MAP_SHARED, mapFd, 0);
  h->producerPage = mmap(nullptr, h->pageSize, PROT_READ, MAP_SHARED, mapFd, static_cast<off_t>(h->pageSize));
  if (h->consumerPage == MAP_FAILED || h->producerPage == MAP_FAILED) {
    int err = errno;
    UnmapPositions(h.get());
    ring_buffer__free(h->rb);
    throw ErrnoError(env, "cannot map the ring buffer positions of map fd " + std::to_string(mapFd), err);
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
    UnmapPositions(h.get());
    ring_buffer__free(h->rb);
    throw Napi::Error::New(env, "cannot get the libuv event loop");
  }
  int rc = uv_poll_init(loop, &h->poll, ring_buffer__epoll_fd(h->rb));
  if (rc < 0) {
    UnmapPositions(h.get());
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

// ringbufSetFormats(handle, formats): printf sites to format here (see SiteFormat).
// Whether the ring holds a record not consumed yet (committed or still
// being written). The fence first orders the caller's earlier write of the
// wakeup flag (a map update) before this read of the producer position:
// a BPF program that reserved its record after this read sees the new flag.
Napi::Value RingbufPending(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingHandle* h = Lookup(env, ArgU32(info, 0, "handle"));
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  uint64_t producer = __atomic_load_n(static_cast<const uint64_t*>(h->producerPage), __ATOMIC_ACQUIRE);
  uint64_t consumer = __atomic_load_n(static_cast<const uint64_t*>(h->consumerPage), __ATOMIC_ACQUIRE);
  return Napi::Boolean::New(env, producer != consumer);
}

Napi::Value RingbufSetFormats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingHandle* h = Lookup(env, ArgU32(info, 0, "handle"));
  std::vector<std::unique_ptr<SiteFormat>> owned;
  std::vector<SiteFormat*> sites = ParseFormats(env, info[1], owned);
  h->ownedFormats = std::move(owned);
  h->formats = std::move(sites);
  return env.Undefined();
}

// formatRecordsForTest(formats, records[]): each record's text ("" when not formattable), as OnSample makes it.
Napi::Value FormatRecordsForTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::unique_ptr<SiteFormat>> owned;
  std::vector<SiteFormat*> sites = ParseFormats(env, info[0], owned);
  Napi::Array recs = info[1].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env, recs.Length());
  for (uint32_t i = 0; i < recs.Length(); i++) {
    Napi::Buffer<uint8_t> b = recs.Get(i).As<Napi::Buffer<uint8_t>>();
    std::string text;
    FormatRecord(sites, b.Data(), b.Length(), text);
    out.Set(i, Napi::Buffer<char>::Copy(env, text.data(), text.size()));
  }
  return out;
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
  exports.Set("ringbufPending", Napi::Function::New(env, RingbufPending, "ringbufPending"));
  exports.Set("ringbufSetFormats", Napi::Function::New(env, RingbufSetFormats, "ringbufSetFormats"));
  exports.Set("formatRecordsForTest", Napi::Function::New(env, FormatRecordsForTest, "formatRecordsForTest"));
  exports.Set("ringbufClose", Napi::Function::New(env, RingbufClose, "ringbufClose"));
}

}  // namespace tstrace
