#include "object.h"

#include <errno.h>

#include "errors.h"

namespace clovisor {

Napi::Function NativeObject::Init(Napi::Env env) {
  return DefineClass(env, "NativeObject",
                     {InstanceMethod<&NativeObject::Close>("close"),
                      InstanceMethod<&NativeObject::Map>("map"),
                      InstanceMethod<&NativeObject::Program>("program"),
                      InstanceMethod<&NativeObject::Names>("names"),
                      InstanceMethod<&NativeObject::Attach>("attach"),
                      InstanceMethod<&NativeObject::Detach>("detach")});
}

// new NativeObject(path, skipPrograms?: string[]): open + load. Programs named in skipPrograms
// are not loaded (autoload off), e.g. tracing programs whose tracepoint this kernel lacks.
// Throws with code/errno and `log` (libbpf's words).
NativeObject::NativeObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeObject>(info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  ClearLibbpfLog();
  bpf_object* obj = bpf_object__open_file(path.c_str(), nullptr);
  if (obj == nullptr) {
    int err = errno ? errno : EINVAL;
    Napi::Error e = ErrnoError(env, err, "bpf_object__open_file " + path);
    e.Set("log", LibbpfLogTail());
    throw e;
  }
  // Optional second argument {mapName: maxEntries}: sizes chosen at run time (e.g. the flow
  // table) must be set between open and load.
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object sizes = info[1].As<Napi::Object>();
    Napi::Array names = sizes.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      uint32_t entries = sizes.Get(name).As<Napi::Number>().Uint32Value();
      bpf_map* map = bpf_object__find_map_by_name(obj, name.c_str());
      int sr = map == nullptr ? -ENOENT : bpf_map__set_max_entries(map, entries);
      if (sr != 0) {
        bpf_object__close(obj);
        throw ErrnoError(env, -sr, "setting max_entries of map " + name + " to " + std::to_string(entries));
      }
    }
  }
  // Optional third argument [programName]: left unloaded (e.g. a tracepoint this kernel lacks).
  if (info.Length() > 2 && info[2].IsArray()) {
    Napi::Array skip = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < skip.Length(); i++) {
      std::string name = skip.Get(i).As<Napi::String>().Utf8Value();
      bpf_program* prog = bpf_object__find_program_by_name(obj, name.c_str());
      if (prog != nullptr) bpf_program__set_autoload(prog, false);
    }
  }
  int r = bpf_object__load(obj);
  if (r != 0) {
    bpf_object__close(obj);
    Napi::Error e = ErrnoError(env, -r, "bpf_object__load " + path);
    e.Set("log", LibbpfLogTail());
    throw e;
  }
  obj_ = obj;
}

NativeObject::~NativeObject() {
  DestroyLinks();
  if (obj_ != nullptr) bpf_object__close(obj_);
}

void NativeObject::DestroyLinks() {
  for (auto& [id, link] : links_) bpf_link__destroy(link);
  links_.clear();
}

bpf_object* NativeObject::Require(Napi::Env env) {
  if (obj_ == nullptr) throw ErrnoError(env, EBADF, "BPF object already closed");
  return obj_;
}

// Closing the object destroys the links attach() made and closes its map and program fds; tc
// filters stay attached (the kernel
// holds the program) until detached by handle/priority.
Napi::Value NativeObject::Close(const Napi::CallbackInfo& info) {
  DestroyLinks();
  if (obj_ != nullptr) {
    bpf_object__close(obj_);
    obj_ = nullptr;
  }
  return info.Env().Undefined();
}

// map(name) -> { fd, type, keySize, valueSize, maxEntries } | null
Napi::Value NativeObject::Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  bpf_map* map = bpf_object__find_map_by_name(Require(env), name.c_str());
  if (map == nullptr) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", bpf_map__fd(map));
  out.Set("type", static_cast<double>(bpf_map__type(map)));
  out.Set("keySize", bpf_map__key_size(map));
  out.Set("valueSize", bpf_map__value_size(map));
  out.Set("maxEntries", bpf_map__max_entries(map));
  return out;
}

// program(name) -> fd | null
Napi::Value NativeObject::Program(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  bpf_program* prog = bpf_object__find_program_by_name(Require(env), name.c_str());
  if (prog == nullptr) return env.Null();
  return Napi::Number::New(env, bpf_program__fd(prog));
}

// names() -> { maps: string[], programs: string[] } (for error messages)
Napi::Value NativeObject::Names(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_object* obj = Require(env);
  Napi::Array maps = Napi::Array::New(env);
  Napi::Array progs = Napi::Array::New(env);
  bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    // Skip libbpf's internal maps (.rodata, .bss, ...): not addressable by users.
    const char* n = bpf_map__name(map);
    if (n[0] != '.' && !bpf_map__is_internal(map)) maps.Set(maps.Length(), n);
  }
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) { progs.Set(progs.Length(), bpf_program__name(prog)); }
  Napi::Object out = Napi::Object::New(env);
  out.Set("maps", maps);
  out.Set("programs", progs);
  return out;
}

// attach(progName) -> link id. Attaches by the program's section (tp_btf/..., tracepoint/...)
// with bpf_program__attach; the bpf_link stays owned by this object (see links_).
Napi::Value NativeObject::Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  bpf_program* prog = bpf_object__find_program_by_name(Require(env), name.c_str());
  if (prog == nullptr) throw ErrnoError(env, ENOENT, "no program " + name);
  if (!bpf_program__autoload(prog)) throw ErrnoError(env, ENOENT, "program " + name + " was not loaded");
  ClearLibbpfLog();
  bpf_link* link = bpf_program__attach(prog);
  if (link == nullptr) {
    int err = errno ? errno : EINVAL;
    Napi::Error e = ErrnoError(env, err, "bpf_program__attach " + name);
    e.Set("log", LibbpfLogTail());
    throw e;
  }
  uint32_t id = next_link_id_++;
  links_[id] = link;
  return Napi::Number::New(env, id);
}

// detach(linkId) -> true if this call destroyed the link, false if it was already gone.
Napi::Value NativeObject::Detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto it = links_.find(info[0].As<Napi::Number>().Uint32Value());
  if (it == links_.end()) return Napi::Boolean::New(env, false);
  bpf_link__destroy(it->second);
  links_.erase(it);
  return Napi::Boolean::New(env, true);
}

}  // namespace clovisor
