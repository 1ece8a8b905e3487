// Kernel symbols for kstack/ksym: /proc/kallsyms read and indexed natively.
// In JS, splitting the 120k-line file cost ~120 ms; here it is a few ms, and
// the read itself (~50–90 ms of the kernel generating the text) can start on a
// background thread as soon as a run knows it will print kernel frames, so it
// overlaps the tracing instead of delaying the output at exit.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace tstrace {
namespace {

struct Symbol {
  uint64_t addr;
  uint32_t nameAt;  // offset of the name in KernelSymbols::text
  uint32_t nameLen;
};

struct KernelSymbols {
  std::string text;
  std::vector<Symbol> symbols;  // by address; equal addresses keep file order
};

// The loader thread is detached and the table never freed: a run may exit
// while the file is still being read, and static destructors must not race it.
std::mutex loadMutex;
std::condition_variable loadDone;
bool loadStarted = false;
bool loadFinished = false;
KernelSymbols& table = *new KernelSymbols;

std::string ReadWholeFile(const char* path) {
  std::string out;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;  // no kallsyms: every frame prints as an address
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(c | 0x20);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "ffffffff81000000 T name\t[module]": text (t/T) and weak (w/W) symbols with a
// non-zero address (kptr_restrict shows zeros) are kept.
void Load() {
  table.text = ReadWholeFile("/proc/kallsyms");
  const std::string& text = table.text;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    uint64_t addr = 0;
    size_t p = pos;
    for (int d; p < eol && (d = HexDigit(text[p])) >= 0; p++) addr = addr << 4 | static_cast<uint64_t>(d);
    if (p + 3 < eol && text[p] == ' ' && text[p + 2] == ' ') {
      char type = static_cast<char>(text[p + 1] | 0x20);
      if ((type == 't' || type == 'w') && addr != 0) {
        size_t nameAt = p + 3;
        size_t nameEnd = nameAt;
        while (nameEnd < eol && text[nameEnd] != '\t' && text[nameEnd] != ' ') nameEnd++;
        table.symbols.push_back({addr, static_cast<uint32_t>(nameAt), static_cast<uint32_t>(nameEnd - nameAt)});
      }
    }
    pos = eol + 1;
  }
  std::stable_sort(table.symbols.begin(), table.symbols.end(),
                   [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
}

void StartLoading() {
  std::lock_guard<std::mutex> lock(loadMutex);
  if (loadStarted) return;
  loadStarted = true;
  std::thread([] {
    Load();
    std::lock_guard<std::mutex> done(loadMutex);
    loadFinished = true;
    loadDone.notify_all();
  }).detach();
}

const KernelSymbols& Loaded() {
  StartLoading();
  std::unique_lock<std::mutex> lock(loadMutex);
  loadDone.wait(lock, [] { return loadFinished; });
  return table;
}

// kallsymsPreload(): starts reading /proc/kallsyms on a background thread.
Napi::Value KallsymsPreload(const Napi::CallbackInfo& info) {
  StartLoading();
  return info.Env().Undefined();
}

// kallsymsLookup(addr: bigint): [name, offset] of the last symbol at or below
// addr, or undefined when there is none.
Napi::Value KallsymsLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t addr = info.Length() > 0 ? ValueU64(env, info[0], "address") : 0;
  const KernelSymbols& t = Loaded();
  auto after = std::upper_bound(t.symbols.begin(), t.symbols.end(), addr,
                                [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (after == t.symbols.begin()) return env.Undefined();
  const Symbol& s = *(after - 1);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::String::New(env, t.text.data() + s.nameAt, s.nameLen));
  result.Set(1u, Napi::Number::New(env, static_cast<double>(addr - s.addr)));
  return result;
}

}  // namespace

void InitKallsyms(Napi::Env env, Napi::Object exports) {
  exports.Set("kallsymsPreload", Napi::Function::New(env, KallsymsPreload, "kallsymsPreload"));
  exports.Set("kallsymsLookup", Napi::Function::New(env, KallsymsLookup, "kallsymsLookup"));
}

}  // namespace tstrace
