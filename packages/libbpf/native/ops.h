// Stateless native functions: tc attach/detach/query, map element ops, clocks, interfaces.
#pragma once
#include <napi.h>

namespace clovisor {

void InitOps(Napi::Env env, Napi::Object exports);

}  // namespace clovisor
