// Module entry: the native surface is deliberately small (fds, bytes, numbers); the TypeScript
// wrapper in src/ owns naming, validation, handle tracking and error advice.
#include <napi.h>

#include "errors.h"
#include "object.h"
#include "ops.h"
#include "ring_reader.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  clovisor::InstallLibbpfLog();
  exports.Set("NativeObject", clovisor::NativeObject::Init(env));
  exports.Set("RingReader", clovisor::RingReader::Init(env));
  clovisor::InitOps(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(clovisor_libbpf, Init)
