// Noticing that the reader of tstrace's output went away while tstrace is
// silent: the terminal hung up, or the pipe's reader (a killed parent shell,
// `| head` that exited) closed its end. Writes would report EPIPE/EIO, but a
// script may print nothing until exit, and tstrace would keep its probes
// attached forever.
//
// A uv_poll on a dup of the output fd, asking only for UV_DISCONNECT: a pipe
// whose readers are gone reports EPOLLERR, a hung-up tty or closed socket
// peer EPOLLHUP; both always wake epoll. A socket that only half-closed
// (EPOLLRDHUP without EPOLLHUP: the peer stopped writing but still reads) is
// not a hangup, so the callback confirms with poll(2) before reporting.
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <unordered_map>

namespace tstrace {
namespace {

struct Watch {
  uint32_t id = 0;
  int fd = -1;
  napi_env env = nullptr;
  uv_poll_t poll;
  bool closed = false;
  Napi::FunctionReference onHangup;
  std::unique_ptr<Napi::AsyncContext> asyncCtx;
};

std::unordered_map<uint32_t, Watch*> gWatches;
uint32_t gNextWatch = 1;

void OnClosed(uv_handle_t* handle) {
  auto* w = static_cast<Watch*>(handle->data);
  if (w->fd >= 0) close(w->fd);
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) == napi_ok) {
    w->asyncCtx.reset();
    napi_close_handle_scope(w->env, scope);
  } else {
    w->asyncCtx.release();  // environment gone: leak rather than crash
  }
  delete w;
}

void Stop(Watch* w) {
  if (w->closed) return;
  w->closed = true;
  gWatches.erase(w->id);
  uv_poll_stop(&w->poll);
  w->onHangup.Reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
}

bool ReallyHungUp(int fd) {
  struct pollfd p = {fd, 0, 0};
  if (::poll(&p, 1, 0) < 0) return false;
  return (p.revents & (POLLHUP | POLLERR)) != 0;
}

void OnPoll(uv_poll_t* poll, int status, int events) {
  auto* w = static_cast<Watch*>(poll->data);
  if (w->closed) return;
  bool hungUp = status < 0 || ReallyHungUp(w->fd);
  if (!hungUp) {
    // Half-closed socket: level-triggered RDHUP would wake us forever.
    Stop(w);
    return;
  }
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  Napi::FunctionReference cb = std::move(w->onHangup);
  std::unique_ptr<Napi::AsyncContext> ctx = std::move(w->asyncCtx);
  Stop(w);  // once
  try {
    cb.MakeCallback(env.Global(), {}, *ctx);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
  napi_handle_scope s2;
  if (napi_open_handle_scope(env, &s2) == napi_ok) {
    ctx.reset();
    napi_close_handle_scope(env, s2);
  }
}

// watchHangup(fd, onHangup) → handle id, or 0 when fd cannot be watched
// (a regular file or /dev/null never hangs up; epoll refuses them).
Napi::Value WatchHangup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  if (info.Length() < 2 || !info[1].IsFunction()) throw Napi::TypeError::New(env, "argument 'onHangup' must be a function");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) throw Napi::Error::New(env, "cannot get the libuv event loop");
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (own < 0) throw ErrnoError(env, "dup of fd " + std::to_string(fd) + " failed", errno);
  auto* w = new Watch();
  w->fd = own;
  w->env = env;
  // uv_poll_init makes the fd non-blocking, and the dup shares the open file
  // with the output: writeSync would then write partially or fail with
  // EAGAIN on a full pipe. epoll does not need O_NONBLOCK, so put it back.
  int flags = fcntl(own, F_GETFL);
  if (uv_poll_init(loop, &w->poll, own) < 0) {
    close(own);
    delete w;
    return Napi::Number::New(env, 0);
  }
  if (flags >= 0) fcntl(own, F_SETFL, flags);
  w->poll.data = w;
  if (uv_poll_start(&w->poll, UV_DISCONNECT, OnPoll) < 0) {
    w->closed = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
    return Napi::Number::New(env, 0);
  }
  // A watch must not keep the process alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->poll));
  w->onHangup = Napi::Persistent(info[1].As<Napi::Function>());
  w->asyncCtx = std::make_unique<Napi::AsyncContext>(env, "tstrace:hangup");
  w->id = gNextWatch++;
  gWatches[w->id] = w;
  return Napi::Number::New(env, w->id);
}

Napi::Value UnwatchHangup(const Napi::CallbackInfo& info) {
  auto it = gWatches.find(ArgU32(info, 0, "handle"));
  if (it != gWatches.end()) Stop(it->second);
  return info.Env().Undefined();
}

}  // namespace

void InitHangup(Napi::Env env, Napi::Object exports) {
  exports.Set("watchHangup", Napi::Function::New(env, WatchHangup, "watchHangup"));
  exports.Set("unwatchHangup", Napi::Function::New(env, UnwatchHangup, "unwatchHangup"));
}

}  // namespace tstrace
