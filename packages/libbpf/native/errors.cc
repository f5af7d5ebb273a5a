#include "errors.h"

#include <bpf/libbpf.h>
#include <string.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace clovisor {

Napi::Error ErrnoError(Napi::Env env, int err, const std::string& what) {
  const char* name = strerrorname_np(err);
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("code", Napi::String::New(env, name ? name : "E" + std::to_string(err)));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

namespace {

// The tail is what matters in a verifier log (the rejected instruction), so keep the last bytes.
constexpr size_t kLogKeep = 16 * 1024;
std::mutex g_log_mu;
std::string g_log;
bool g_log_stderr = false;

int PrintToBuffer(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG && !g_log_stderr) return 0;
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return 0;
  std::string line(static_cast<size_t>(n), '\0');
  vsnprintf(line.data(), line.size() + 1, fmt, args);
  if (g_log_stderr) fputs(line.c_str(), stderr);
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log += line;
  if (g_log.size() > kLogKeep) g_log.erase(0, g_log.size() - kLogKeep);
  return n;
}

}  // namespace

void InstallLibbpfLog() {
  const char* env = getenv("CLOVISOR_LIBBPF_DEBUG");
  g_log_stderr = env != nullptr && env[0] != '\0' && env[0] != '0';
  libbpf_set_print(PrintToBuffer);
}

void ClearLibbpfLog() {
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log.clear();
}

std::string LibbpfLogTail() {
  std::lock_guard<std::mutex> lock(g_log_mu);
  return g_log;
}

}  // namespace clovisor
