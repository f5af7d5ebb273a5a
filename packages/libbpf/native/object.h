// NativeObject: one opened-and-loaded bpf_object. It only hands out fds and metadata; all
// policy (names, sizes, errors) lives in TypeScript.
#pragma once
#include <bpf/libbpf.h>
#include <napi.h>

#include <map>

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
  Napi::Value Attach(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  bpf_object* Require(Napi::Env env);
  void DestroyLinks();

  bpf_object* obj_ = nullptr;
  // Links made by attach() (tracing programs): owned here, destroyed by detach(id), close() or
  // the destructor, whichever comes first, so a forgotten link never outlives its object.
  std::map<uint32_t, bpf_link*> links_;
  uint32_t next_link_id_ = 1;
};

}  // namespace clovisor
