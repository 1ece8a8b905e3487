// Thin, checked wrappers over the bpf() and perf_event_open() syscalls (via
// libbpf's low-level API): maps, program loading, perf events, test runs.
#include "common.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#ifndef ENOTSUPP
#define ENOTSUPP 524  // kernel-internal, can leak to user space from bpf()
#endif

namespace tstrace {
namespace {

// libbpf must never print: keep its last message for diagnostics instead.
std::string gLibbpfLast;
int LibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  gLibbpfLast.assign(buf, n < 0 ? 0 : std::min<size_t>(n, sizeof buf - 1));
  while (!gLibbpfLast.empty() && gLibbpfLast.back() == '\n') gLibbpfLast.pop_back();
  return 0;
}

// Kernel object names: [A-Za-z0-9_.], at most BPF_OBJ_NAME_LEN - 1 chars.
std::string SanitizeName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (out.size() >= BPF_OBJ_NAME_LEN - 1) break;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

int PossibleCpus(Napi::Env env) {
  static int cached = 0;
  if (cached > 0) return cached;
  int n = libbpf_num_possible_cpus();
  if (n <= 0) ThrowErrno(env, "cannot determine the number of possible CPUs", n < 0 ? -n : EINVAL);
  cached = n;
  return n;
}

bool IsPercpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

struct MapShape {
  uint32_t type, keySize, valueBytes, maxEntries;
};

// Fetches the map's real key size and per-lookup value size so that a wrong
// size from JS cannot make the kernel write past a buffer.
MapShape GetMapShape(Napi::Env env, int fd) {
  struct bpf_map_info info;
  memset(&info, 0, sizeof info);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
    int err = errno;
    ThrowErrno(env, "fd " + std::to_string(fd) + " is not a usable BPF map", err);
  }
  MapShape s{info.type, info.key_size, info.value_size, info.max_entries};
  if (IsPercpu(info.type)) s.valueBytes = ((info.value_size + 7) & ~7u) * PossibleCpus(env);
  return s;
}

void CheckKey(Napi::Env env, const MapShape& s, size_t keyLen, const char* fn) {
  if (keyLen != s.keySize)
    throw Napi::RangeError::New(env, std::string(fn) + ": key is " + std::to_string(keyLen) +
                                         " bytes but the map's key size is " + std::to_string(s.keySize));
}

void CheckValue(Napi::Env env, const MapShape& s, size_t valueLen, const char* fn) {
  if (valueLen != s.valueBytes)
    throw Napi::RangeError::New(env, std::string(fn) + ": value is " + std::to_string(valueLen) +
                                         " bytes but the map needs " + std::to_string(s.valueBytes) +
                                         (IsPercpu(s.type) ? " (per-CPU: round_up(value_size, 8) * possible CPUs)" : ""));
}

// ---------------------------------------------------------------- general

Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), PossibleCpus(info.Env()));
}

// CLOCK_BOOTTIME in ns, the clock of bpf_ktime_get_boot_ns (for `elapsed`).
Napi::Value BoottimeNs(const Napi::CallbackInfo& info) {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(ns));
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), libbpf_version_string());
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0, "fd");
  if (close(fd) != 0 && errno != EINTR) ThrowErrno(info.Env(), "close(" + std::to_string(fd) + ")", errno);
  return info.Env().Undefined();
}

// closeFds(fds): closes them all at once, one thread each (up to 32 at a
// time). Closing an attached perf event or link waits for an RCU grace
// period in the kernel (~60 ms here); closed one after another, those waits
// add up, closed in parallel they overlap. Errors are ignored: every fd is
// closed whatever happens to the others.
Napi::Value CloseFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "closeFds: fds must be an array");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<int> fds;
  for (uint32_t i = 0; i < arr.Length(); i++) fds.push_back(arr.Get(i).ToNumber().Int32Value());
  constexpr size_t kThreads = 32;
  for (size_t start = 0; start < fds.size(); start += kThreads) {
    size_t end = std::min(fds.size(), start + kThreads);
    if (end - start == 1) {
      close(fds[start]);
      continue;
    }
    std::vector<std::thread> threads;
    for (size_t i = start; i < end; i++) threads.emplace_back([fd = fds[i]] { close(fd); });
    for (std::thread& t : threads) t.join();
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- maps

Napi::Value CreateMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t type = ArgU32(info, 0, "type");
  std::string name = ArgString(info, 1, "name");
  uint32_t keySize = ArgU32(info, 2, "keySize");
  uint32_t valueSize = ArgU32(info, 3, "valueSize");
  uint32_t maxEntries = ArgU32(info, 4, "maxEntries");
  uint32_t flags = ArgIsMissing(info, 5) ? 0 : ArgU32(info, 5, "flags");

  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
  std::string kname = SanitizeName(name);
  int fd = bpf_map_create(static_cast<enum bpf_map_type>(type), kname.empty() ? nullptr : kname.c_str(), keySize,
                          valueSize, maxEntries, &opts);
  if (fd < 0) ThrowErrno(env, "failed to create map '" + name + "'", -fd);
  return Napi::Number::New(env, fd);
}

Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  auto key = ArgBuffer(info, 1, "key");
  uint32_t valueBytes = ArgU32(info, 2, "valueBytes");
  MapShape s = GetMapShape(env, fd);
  CheckKey(env, s, key.Length(), "mapLookup");
  CheckValue(env, s, valueBytes, "mapLookup");
  auto value = Napi::Buffer<uint8_t>::New(env, valueBytes);
  if (bpf_map_lookup_elem(fd, key.Data(), value.Data()) != 0) {
    int err = errno;
    if (err == ENOENT) return env.Null();
    ThrowErrno(env, "map lookup failed", err);
  }
  return value;
}

Napi::Value MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  auto key = ArgBuffer(info, 1, "key");
  auto value = ArgBuffer(info, 2, "value");
  uint64_t flags = ArgIsMissing(info, 3) ? 0 : static_cast<uint64_t>(ArgInt(info, 3, "flags"));
  MapShape s = GetMapShape(env, fd);
  CheckKey(env, s, key.Length(), "mapUpdate");
  CheckValue(env, s, value.Length(), "mapUpdate");
  if (bpf_map_update_elem(fd, key.Data(), value.Data(), flags) != 0) ThrowErrno(env, "map update failed", errno);
  return env.Undefined();
}

Napi::Value MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  auto key = ArgBuffer(info, 1, "key");
  MapShape s = GetMapShape(env, fd);
  CheckKey(env, s, key.Length(), "mapDelete");
  if (bpf_map_delete_elem(fd, key.Data()) != 0) {
    int err = errno;
    if (err == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, "map delete failed", err);
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value MapGetNextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  bool haveKey = !ArgIsMissing(info, 1);
  Napi::Buffer<uint8_t> key;
  if (haveKey) key = ArgBuffer(info, 1, "key");
  uint32_t keySize = ArgU32(info, 2, "keySize");
  MapShape s = GetMapShape(env, fd);
  CheckKey(env, s, keySize, "mapGetNextKey");
  if (haveKey) CheckKey(env, s, key.Length(), "mapGetNextKey");
  auto next = Napi::Buffer<uint8_t>::New(env, keySize);
  if (bpf_map_get_next_key(fd, haveKey ? key.Data() : nullptr, next.Data()) != 0) {
    int err = errno;
    if (err == ENOENT) return env.Null();
    ThrowErrno(env, "map get_next_key failed", err);
  }
  return next;
}

bool BatchUnsupported(int err) { return err == EINVAL || err == ENOTSUPP || err == EOPNOTSUPP; }

Napi::Value MapDump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  uint32_t keySize = ArgU32(info, 1, "keySize");
  uint32_t valueBytes = ArgU32(info, 2, "valueBytes");
  uint32_t maxEntries = ArgU32(info, 3, "maxEntries");
  MapShape s = GetMapShape(env, fd);
  CheckKey(env, s, keySize, "mapDump");
  CheckValue(env, s, valueBytes, "mapDump");
  if (keySize == 0) throw Napi::TypeError::New(env, "mapDump: map has no keys");

  std::vector<uint8_t> keys, values;
  size_t count = 0;
  size_t entryBytes = static_cast<size_t>(keySize) + valueBytes;
  size_t cap = std::max<size_t>(maxEntries, 1);

  // Batch lookup. Chunks hold up to 16 MiB; a hash bucket larger than the
  // chunk gives ENOSPC (with nothing copied), then the chunk grows.
  size_t chunk = std::max<size_t>(1, std::min<size_t>(cap, (16u << 20) / entryBytes));
  std::vector<uint8_t> tokA(std::max<uint32_t>(keySize, 8)), tokB(tokA.size());
  uint8_t *inTok = tokA.data(), *outTok = tokB.data();
  bool first = true, fallback = false;
  LIBBPF_OPTS(bpf_map_batch_opts, bopts);
  while (true) {
    keys.resize((count + chunk) * keySize);
    values.resize((count + chunk) * valueBytes);
    uint32_t n = static_cast<uint32_t>(chunk);
    int rc = bpf_map_lookup_batch(fd, first ? nullptr : inTok, outTok, keys.data() + count * keySize,
                                  values.data() + count * valueBytes, &n, &bopts);
    int err = rc ? errno : 0;
    if (rc && err != ENOENT) {
      if (err == ENOSPC && n == 0 && chunk < (1u << 24)) {
        chunk *= 2;
        continue;
      }
      if (first && BatchUnsupported(err)) {
        fallback = true;
        break;
      }
      ThrowErrno(env, "map batch lookup failed", err);
    }
    count += n;
    if (err == ENOENT) break;
    std::swap(inTok, outTok);
    first = false;
  }

  if (fallback) {
    count = 0;
    std::vector<uint8_t> cur(keySize), next(keySize);
    bool haveCur = false;
    while (count < cap) {
      if (bpf_map_get_next_key(fd, haveCur ? cur.data() : nullptr, next.data()) != 0) {
        int err = errno;
        if (err == ENOENT) break;
        ThrowErrno(env, "map get_next_key failed", err);
      }
      keys.resize((count + 1) * keySize);
      values.resize((count + 1) * valueBytes);
      if (bpf_map_lookup_elem(fd, next.data(), values.data() + count * valueBytes) == 0) {
        memcpy(keys.data() + count * keySize, next.data(), keySize);
        count++;
      } else if (errno != ENOENT) {  // ENOENT: deleted concurrently, skip it
        ThrowErrno(env, "map lookup failed", errno);
      }
      cur.swap(next);
      haveCur = true;
    }
  }

  Napi::Object result = Napi::Object::New(env);
  result.Set("keys", Napi::Buffer<uint8_t>::Copy(env, keys.data(), count * keySize));
  result.Set("values", Napi::Buffer<uint8_t>::Copy(env, values.data(), count * valueBytes));
  result.Set("count", Napi::Number::New(env, static_cast<double>(count)));
  result.Set("batched", Napi::Boolean::New(env, !fallback));
  return result;
}

// ---------------------------------------------------------------- programs

Napi::Value LoadProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = ArgObject(info, 0, "opts");
  const std::string ctx = "loadProgram opts";
  uint32_t type = static_cast<uint32_t>(PropU64(o, "type", ctx));
  if (!o.Get("name").IsString()) throw Napi::TypeError::New(env, "loadProgram: opts.name must be a string");
  std::string name = o.Get("name").As<Napi::String>().Utf8Value();
  if (!o.Get("insns").IsBuffer()) throw Napi::TypeError::New(env, "loadProgram: opts.insns must be a Buffer");
  auto insns = o.Get("insns").As<Napi::Buffer<uint8_t>>();
  if (insns.Length() == 0 || insns.Length() % sizeof(struct bpf_insn) != 0)
    throw Napi::RangeError::New(env, "loadProgram: opts.insns must be a non-empty multiple of 8 bytes");
  std::string license = "GPL";
  if (Has(o, "license")) {
    if (!o.Get("license").IsString()) throw Napi::TypeError::New(env, "loadProgram: opts.license must be a string");
    license = o.Get("license").As<Napi::String>().Utf8Value();
  }
  std::vector<int> fdArray;
  if (Has(o, "fdArray")) {
    Napi::Value v = o.Get("fdArray");
    if (!v.IsArray()) throw Napi::TypeError::New(env, "loadProgram: opts.fdArray must be an array of fds");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++)
      fdArray.push_back(static_cast<int>(ValueInt(env, a.Get(i), ctx + ".fdArray[" + std::to_string(i) + "]")));
  }
  uint32_t logLevel = Has(o, "logLevel") ? static_cast<uint32_t>(PropU64(o, "logLevel", ctx)) : 0;
  size_t logSize = Has(o, "logSize") ? static_cast<size_t>(PropU64(o, "logSize", ctx)) : (4u << 20);
  if (logSize < 128) logSize = 128;

  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  if (Has(o, "expectedAttachType"))
    opts.expected_attach_type = static_cast<enum bpf_attach_type>(PropU64(o, "expectedAttachType", ctx));
  if (Has(o, "attachBtfId")) opts.attach_btf_id = static_cast<uint32_t>(PropU64(o, "attachBtfId", ctx));
  if (Has(o, "attachBtfObjFd")) opts.attach_btf_obj_fd = static_cast<uint32_t>(PropU64(o, "attachBtfObjFd", ctx));
  if (Has(o, "progFlags")) opts.prog_flags = static_cast<uint32_t>(PropU64(o, "progFlags", ctx));
  if (!fdArray.empty()) opts.fd_array = fdArray.data();
  // Programs with subprograms (callbacks) need BTF func_info: one
  // {insn_off, type_id} record per function, the program itself first.
  std::vector<uint8_t> funcInfo;
  if (Has(o, "progBtfFd")) opts.prog_btf_fd = static_cast<uint32_t>(PropU64(o, "progBtfFd", ctx));
  if (Has(o, "funcInfo")) {
    if (!o.Get("funcInfo").IsBuffer()) throw Napi::TypeError::New(env, "loadProgram: opts.funcInfo must be a Buffer");
    auto fi = o.Get("funcInfo").As<Napi::Buffer<uint8_t>>();
    if (fi.Length() == 0 || fi.Length() % 8 != 0)
      throw Napi::RangeError::New(env, "loadProgram: opts.funcInfo must be a non-empty multiple of 8 bytes");
    funcInfo.assign(fi.Data(), fi.Data() + fi.Length());
    opts.func_info = funcInfo.data();
    opts.func_info_cnt = static_cast<uint32_t>(funcInfo.size() / 8);
    opts.func_info_rec_size = 8;
  }

  std::string kname = SanitizeName(name);
  const struct bpf_insn* code = reinterpret_cast<const struct bpf_insn*>(insns.Data());
  size_t count = insns.Length() / sizeof(struct bpf_insn);
  std::vector<char> log;

  auto attempt = [&](uint32_t level, size_t size) {
    if (level > 0) {
      log.assign(size, 0);
      opts.log_buf = log.data();
      opts.log_size = static_cast<uint32_t>(size);
      opts.log_level = level;
    } else {
      log.clear();
      opts.log_buf = nullptr;
      opts.log_size = 0;
      opts.log_level = 0;
    }
    int fd = bpf_prog_load(static_cast<enum bpf_prog_type>(type), kname.empty() ? nullptr : kname.c_str(),
                           license.c_str(), code, count, &opts);
    return fd >= 0 ? fd : -errno;
  };

  int rc = attempt(logLevel, logSize);
  // ENOSPC with a log requested: the program is fine but the log was
  // truncated. Grow the buffer (the kernel caps log_size below 1 GiB).
  while (rc == -ENOSPC && logLevel > 0 && logSize < (512u << 20)) {
    logSize *= 2;
    rc = attempt(logLevel, logSize);
  }
  int err = rc < 0 ? -rc : 0;
  if (rc < 0 && logLevel == 0) {
    // Retry once with a log to explain the failure. Keep the first errno.
    int rc2 = attempt(1, logSize);
    if (rc2 >= 0) rc = rc2;
  }
  std::string logText(log.data(), strnlen(log.data(), log.size()));

  if (rc < 0) {
    Napi::Error e = ErrnoError(env, "failed to load program '" + name + "'", err);
    e.Set("log", Napi::String::New(env, logText));
    throw e;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, rc));
  result.Set("log", Napi::String::New(env, logText));
  return result;
}

// BPF_BTF_LOAD of a raw BTF blob; returns the fd. On failure the kernel's
// BTF log is part of the message.
Napi::Value LoadBtf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto blob = ArgBuffer(info, 0, "btf");
  std::vector<char> log(64 * 1024, 0);
  LIBBPF_OPTS(bpf_btf_load_opts, opts, .log_buf = log.data(), .log_level = 1, .log_size = static_cast<uint32_t>(log.size()));
  int fd = bpf_btf_load(blob.Data(), blob.Length(), &opts);
  if (fd < 0) {
    int err = errno;
    std::string text(log.data(), strnlen(log.data(), log.size()));
    while (!text.empty() && text.back() == '\n') text.pop_back();
    ThrowErrno(env, "failed to load BTF" + (text.empty() ? std::string() : " (" + text + ")"), err);
  }
  return Napi::Number::New(env, fd);
}

Napi::Value TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "progFd");
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  Napi::Buffer<uint8_t> ctxIn;
  if (!ArgIsMissing(info, 1)) {
    ctxIn = ArgBuffer(info, 1, "ctx");
    if (ctxIn.Length() > 0) {
      opts.ctx_in = ctxIn.Data();
      opts.ctx_size_in = static_cast<uint32_t>(ctxIn.Length());
    }
  }
  if (!ArgIsMissing(info, 2)) {
    Napi::Object o = ArgObject(info, 2, "opts");
    if (Has(o, "cpu")) {
      opts.cpu = static_cast<uint32_t>(PropU64(o, "cpu", "testRun opts"));
      opts.flags |= BPF_F_TEST_RUN_ON_CPU;
    }
  }
  if (bpf_prog_test_run_opts(fd, &opts) != 0) ThrowErrno(env, "failed to test-run program", errno);
  return Napi::Number::New(env, opts.retval);
}

// ---------------------------------------------------------------- perf events

Napi::Value PerfEventOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object a = ArgObject(info, 0, "attr");
  const std::string ctx = "attr";
  int pid = static_cast<int>(ArgInt(info, 1, "pid"));
  int cpu = static_cast<int>(ArgInt(info, 2, "cpu"));
  int groupFd = ArgIsMissing(info, 3) ? -1 : static_cast<int>(ArgInt(info, 3, "groupFd"));
  unsigned long flags = ArgIsMissing(info, 4) ? PERF_FLAG_FD_CLOEXEC : static_cast<unsigned long>(ArgInt(info, 4, "flags"));

  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = static_cast<uint32_t>(PropU64(a, "type", ctx));
  attr.config = PropU64(a, "config", ctx);
  attr.disabled = 1;

  // config1/config2 may be strings: kprobe/uprobe PMUs take a pointer to a
  // NUL-terminated function name / binary path there.
  std::string str1, str2;
  auto configExt = [&](const char* key, std::string& holder) -> uint64_t {
    Napi::Value v = a.Get(key);
    if (v.IsString()) {
      holder = v.As<Napi::String>().Utf8Value();
      return reinterpret_cast<uint64_t>(holder.c_str());
    }
    return ValueU64(env, v, ctx + "." + key);
  };
  if (Has(a, "config1")) attr.config1 = configExt("config1", str1);
  if (Has(a, "config2")) attr.config2 = configExt("config2", str2);

  if (Has(a, "sampleFreq")) {
    attr.freq = 1;
    attr.sample_freq = PropU64(a, "sampleFreq", ctx);
  } else {
    attr.sample_period = Has(a, "samplePeriod") ? PropU64(a, "samplePeriod", ctx) : 1;
  }
  attr.wakeup_events = Has(a, "wakeupEvents") ? static_cast<uint32_t>(PropU64(a, "wakeupEvents", ctx)) : 1;
  if (Has(a, "sampleType")) attr.sample_type = PropU64(a, "sampleType", ctx);
  if (Has(a, "inherit")) attr.inherit = a.Get("inherit").ToBoolean().Value() ? 1 : 0;
  if (Has(a, "bpType")) attr.bp_type = static_cast<uint32_t>(PropU64(a, "bpType", ctx));
  if (Has(a, "bpAddr")) attr.bp_addr = PropU64(a, "bpAddr", ctx);
  if (Has(a, "bpLen")) attr.bp_len = PropU64(a, "bpLen", ctx);

  long fd = syscall(__NR_perf_event_open, &attr, pid, cpu, groupFd, flags);
  if (fd < 0) {
    int err = errno;
    ThrowErrno(env, "perf_event_open(type " + std::to_string(attr.type) + ", config " + std::to_string(attr.config) +
                        ", pid " + std::to_string(pid) + ", cpu " + std::to_string(cpu) + ") failed",
               err);
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

Napi::Value PerfEventAttachBpf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int perfFd = ArgFd(info, 0, "perfFd");
  int progFd = ArgFd(info, 1, "progFd");
  if (ioctl(perfFd, PERF_EVENT_IOC_SET_BPF, progFd) != 0)
    ThrowErrno(env, "failed to attach BPF program to perf event (PERF_EVENT_IOC_SET_BPF)", errno);
  if (ioctl(perfFd, PERF_EVENT_IOC_ENABLE, 0) != 0)
    ThrowErrno(env, "failed to enable perf event (PERF_EVENT_IOC_ENABLE)", errno);
  return env.Undefined();
}

Napi::Value PerfEventDisable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int perfFd = ArgFd(info, 0, "perfFd");
  if (ioctl(perfFd, PERF_EVENT_IOC_DISABLE, 0) != 0)
    ThrowErrno(env, "failed to disable perf event (PERF_EVENT_IOC_DISABLE)", errno);
  return env.Undefined();
}

Napi::Value RawTracepointOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // A null name attaches a TRACING (fentry/fexit) program to its BTF target.
  std::string name;
  bool hasName = !ArgIsMissing(info, 0);
  if (hasName) name = ArgString(info, 0, "name");
  int progFd = ArgFd(info, 1, "progFd");
  int fd = bpf_raw_tracepoint_open(hasName ? name.c_str() : nullptr, progFd);
  if (fd < 0) {
    int err = errno;
    ThrowErrno(env, hasName ? "failed to attach raw tracepoint '" + name + "'" : std::string("failed to attach BPF trampoline"), err);
  }
  return Napi::Number::New(env, fd);
}

// BPF_LINK_CREATE for a BPF iterator program (attach type BPF_TRACE_ITER).
// A pid other than 0 limits the task iterators to that process.
Napi::Value IterLinkCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int progFd = ArgFd(info, 0, "progFd");
  int64_t pid = ArgIsMissing(info, 1) ? 0 : ArgInt(info, 1, "pid");
  union bpf_iter_link_info linfo;
  memset(&linfo, 0, sizeof(linfo));
  LIBBPF_OPTS(bpf_link_create_opts, opts);
  if (pid > 0) {
    linfo.task.pid = static_cast<__u32>(pid);
    opts.iter_info = &linfo;
    opts.iter_info_len = sizeof(linfo);
  }
  int fd = bpf_link_create(progFd, 0, BPF_TRACE_ITER, &opts);
  if (fd < 0) {
    int err = errno;
    ThrowErrno(env, "failed to create the iterator link", err);
  }
  return Napi::Number::New(env, fd);
}

// BPF_ITER_CREATE: a new iterator of a link; read(2) it to run the program over every object.
Napi::Value IterCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = bpf_iter_create(ArgFd(info, 0, "linkFd"));
  if (fd < 0) {
    int err = errno;
    ThrowErrno(env, "failed to open the iterator", err);
  }
  return Napi::Number::New(env, fd);
}

// BPF_OBJ_PIN: keeps a map, program or link alive at a bpffs path.
Napi::Value ObjPin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  std::string path = ArgString(info, 1, "path");
  if (bpf_obj_pin(fd, path.c_str()) < 0) {
    int err = errno;
    ThrowErrno(env, "failed to pin to '" + path + "'", err);
  }
  return env.Undefined();
}

}  // namespace

const std::string& LastLibbpfMessage() { return gLibbpfLast; }

void InitBpf(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(LibbpfPrint);
  auto fn = [&](const char* name, Napi::Function::Callback cb) {
    exports.Set(name, Napi::Function::New(env, cb, name));
  };
  fn("numPossibleCpus", NumPossibleCpus);
  fn("libbpfVersion", LibbpfVersion);
  fn("boottimeNs", BoottimeNs);
  fn("closeFd", CloseFd);
  fn("closeFds", CloseFds);
  fn("createMap", CreateMap);
  fn("mapLookup", MapLookup);
  fn("mapUpdate", MapUpdate);
  fn("mapDelete", MapDelete);
  fn("mapGetNextKey", MapGetNextKey);
  fn("mapDump", MapDump);
  fn("loadProgram", LoadProgram);
  fn("testRun", TestRun);
  fn("loadBtf", LoadBtf);
  fn("perfEventOpen", PerfEventOpen);
  fn("perfEventAttachBpf", PerfEventAttachBpf);
  fn("perfEventDisable", PerfEventDisable);
  fn("rawTracepointOpen", RawTracepointOpen);
  fn("iterLinkCreate", IterLinkCreate);
  fn("iterCreate", IterCreate);
  fn("objPin", ObjPin);
}

}  // namespace tstrace
