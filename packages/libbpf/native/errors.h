// Errors thrown to JS carry the errno name as `code` (e.g. "EPERM") and the number as `errno`,
// so the TypeScript wrapper can turn them into BpfError with advice for the user.
#pragma once
#include <napi.h>

#include <string>

namespace clovisor {

// err is a positive errno value.
Napi::Error ErrnoError(Napi::Env env, int err, const std::string& what);

// libbpf's log, captured instead of printed so load failures can carry the verifier's words.
void InstallLibbpfLog();
void ClearLibbpfLog();
std::string LibbpfLogTail();

}  // namespace clovisor
