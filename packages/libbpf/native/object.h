// NativeObject: one opened-and-loaded bpf_object. It only hands out fds and metadata; all
// policy (names, sizes, errors) lives in TypeScript.
#pragma once
#include <bpf/libbpf.h>
#include <napi.h>

namespace clovisor {

class NativeObject : public Napi::ObjectWrap<NativeObject> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit NativeObject(const Napi::CallbackInfo& info);
  ~NativeObject() override;

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Map(const Napi::CallbackInfo& info);
  Napi::Value Program(const Napi::CallbackInfo& info);
  Napi::Value Names(const Napi::CallbackInfo& info);
  bpf_object* Require(Napi::Env env);

  bpf_object* obj_ = nullptr;
};

}  // namespace clovisor
