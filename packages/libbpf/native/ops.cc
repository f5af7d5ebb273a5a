#include "ops.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <time.h>

#include "errors.h"

namespace clovisor {
namespace {

uint32_t U32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Uint32Value(); }

// Length-checked view of a Buffer argument: the kernel reads exactly key_size/value_size bytes
// from the pointer, so a short buffer would make it read past the end.
uint8_t* Bytes(const Napi::CallbackInfo& info, size_t i, size_t expected, const char* what) {
  Napi::Buffer<uint8_t> b = info[i].As<Napi::Buffer<uint8_t>>();
  if (b.Length() != expected) {
    throw ErrnoError(info.Env(), EINVAL,
                     std::string(what) + " must be " + std::to_string(expected) + " bytes, got " +
                         std::to_string(b.Length()));
  }
  return b.Data();
}

bpf_tc_attach_point Hook(const Napi::CallbackInfo& info, size_t i) {
  return U32(info, i) == 0 ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

// tcAttach(progFd, ifindex, hook 0|1, priority, handle) -> prog id
// Creates clsact if missing (EEXIST is fine; it is never destroyed here: it may be shared) and
// attaches with REPLACE, so a stale filter with our priority/handle is swapped, not stacked.
Napi::Value TcAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(U32(info, 1)),
              .attach_point = Hook(info, 2));
  int r = bpf_tc_hook_create(&hook);
  if (r != 0 && r != -EEXIST) throw ErrnoError(env, -r, "bpf_tc_hook_create (clsact)");
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = static_cast<int>(U32(info, 0)),
              .flags = BPF_TC_F_REPLACE, .priority = U32(info, 3));
  opts.handle = U32(info, 4);
  r = bpf_tc_attach(&hook, &opts);
  if (r != 0) throw ErrnoError(env, -r, "bpf_tc_attach");
  return Napi::Number::New(env, opts.prog_id);
}

// tcDetach(ifindex, hook, priority, handle) -> true if removed, false if it was already gone
// (no such filter, no clsact, or the interface itself is gone).
Napi::Value TcDetach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(U32(info, 0)),
              .attach_point = Hook(info, 1));
  LIBBPF_OPTS(bpf_tc_opts, opts, .priority = U32(info, 2));
  opts.handle = U32(info, 3);
  int r = bpf_tc_detach(&hook, &opts);
  if (r == 0) return Napi::Boolean::New(env, true);
  if (r == -ENOENT || r == -ENODEV || r == -EINVAL) return Napi::Boolean::New(env, false);
  throw ErrnoError(env, -r, "bpf_tc_detach");
}

// tcQuery(ifindex, hook, priority, handle) -> prog id, or 0 when no such filter
Napi::Value TcQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(U32(info, 0)),
              .attach_point = Hook(info, 1));
  LIBBPF_OPTS(bpf_tc_opts, opts, .priority = U32(info, 2));
  opts.handle = U32(info, 3);
  int r = bpf_tc_query(&hook, &opts);
  if (r == 0) return Napi::Number::New(env, opts.prog_id);
  if (r == -ENOENT || r == -ENODEV || r == -EINVAL) return Napi::Number::New(env, 0);
  throw ErrnoError(env, -r, "bpf_tc_query");
}

// mapLookup(fd, key, keySize, outSize) -> Buffer | null
Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* key = Bytes(info, 1, U32(info, 2), "key");
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, U32(info, 3));
  if (bpf_map_lookup_elem(static_cast<int>(U32(info, 0)), key, out.Data()) != 0) {
    if (errno == ENOENT) return env.Null();
    throw ErrnoError(env, errno, "bpf_map_lookup_elem");
  }
  return out;
}

// mapUpdate(fd, key, keySize, value, valueSize, flags)
Napi::Value MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* key = Bytes(info, 1, U32(info, 2), "key");
  uint8_t* value = Bytes(info, 3, U32(info, 4), "value");
  if (bpf_map_update_elem(static_cast<int>(U32(info, 0)), key, value, U32(info, 5)) != 0) {
    throw ErrnoError(env, errno, "bpf_map_update_elem");
  }
  return env.Undefined();
}

// mapDelete(fd, key, keySize) -> true if deleted, false if absent
Napi::Value MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* key = Bytes(info, 1, U32(info, 2), "key");
  if (bpf_map_delete_elem(static_cast<int>(U32(info, 0)), key) != 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    throw ErrnoError(env, errno, "bpf_map_delete_elem");
  }
  return Napi::Boolean::New(env, true);
}

// mapLookupBatch(fd, token | null, keySize, valueSize, maxCount) -> {keys, values, count, token | null}
// One BPF_MAP_LOOKUP_BATCH call. The token (opaque, 8 bytes) resumes where the previous call
// stopped; null on return means the whole map was visited. Hash maps walk bucket by bucket, so a
// concurrent delete cannot restart the walk the way get_next_key does.
Napi::Value MapLookupBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t keySize = U32(info, 2);
  uint32_t valueSize = U32(info, 3);
  uint32_t count = U32(info, 4);
  if (count == 0) throw ErrnoError(env, EINVAL, "mapLookupBatch: count must be > 0");
  const uint8_t* in = info[1].IsNull() ? nullptr : Bytes(info, 1, 8, "batch token");
  Napi::Buffer<uint8_t> token = Napi::Buffer<uint8_t>::New(env, 8);
  Napi::Buffer<uint8_t> keys = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(keySize) * count);
  Napi::Buffer<uint8_t> values = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(valueSize) * count);
  uint64_t inCopy = 0;
  if (in != nullptr) memcpy(&inCopy, in, 8);
  memset(token.Data(), 0, 8);
  uint32_t n = count;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  int r = bpf_map_lookup_batch(static_cast<int>(U32(info, 0)), in == nullptr ? nullptr : &inCopy, token.Data(),
                               keys.Data(), values.Data(), &n, &opts);
  bool done = false;
  if (r != 0) {
    if (errno != ENOENT) throw ErrnoError(env, errno, "bpf_map_lookup_batch");
    done = true;  // ENOENT: the last buckets were read (n may still be > 0)
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("keys", keys);
  out.Set("values", values);
  out.Set("count", Napi::Number::New(env, n));
  out.Set("token", done ? env.Null() : static_cast<Napi::Value>(token));
  return out;
}

// mapNextKey(fd, key | null, keySize) -> next key Buffer | null at the end
Napi::Value MapNextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t keySize = U32(info, 2);
  const uint8_t* key = info[1].IsNull() ? nullptr : Bytes(info, 1, keySize, "key");
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, keySize);
  if (bpf_map_get_next_key(static_cast<int>(U32(info, 0)), key, out.Data()) != 0) {
    if (errno == ENOENT) return env.Null();
    throw ErrnoError(env, errno, "bpf_map_get_next_key");
  }
  return out;
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n <= 0) throw ErrnoError(info.Env(), n < 0 ? -n : EINVAL, "libbpf_num_possible_cpus");
  return Napi::Number::New(info.Env(), n);
}

int64_t ClockNs(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// CLOCK_REALTIME - CLOCK_MONOTONIC. Monotonic is read between two realtime reads and paired with
// their midpoint, so the error is at most half the sampling window (tens of ns).
Napi::Value ClockOffsetNs(const Napi::CallbackInfo& info) {
  int64_t rt1 = ClockNs(CLOCK_REALTIME);
  int64_t mono = ClockNs(CLOCK_MONOTONIC);
  int64_t rt2 = ClockNs(CLOCK_REALTIME);
  return Napi::BigInt::New(info.Env(), rt1 + (rt2 - rt1) / 2 - mono);
}

Napi::Value MonotonicNs(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), ClockNs(CLOCK_MONOTONIC));
}

// ifNameToIndex(name) -> ifindex, 0 when unknown
Napi::Value IfNameToIndex(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Number::New(info.Env(), if_nametoindex(name.c_str()));
}

// vmlinuxBtfId(tracepointName) -> BTF id of `btf_trace_<name>` in the kernel's BTF (> 0), or a
// negative errno: -ENOENT when the kernel has no such tracepoint, other errors when it has no BTF.
Napi::Value VmlinuxTracepointBtfId(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  ClearLibbpfLog();
  return Napi::Number::New(info.Env(), libbpf_find_vmlinux_btf_id(name.c_str(), BPF_TRACE_RAW_TP));
}

Napi::Value LibbpfLog(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), LibbpfLogTail()); }

}  // namespace

void InitOps(Napi::Env env, Napi::Object exports) {
  exports.Set("tcAttach", Napi::Function::New<TcAttach>(env, "tcAttach"));
  exports.Set("tcDetach", Napi::Function::New<TcDetach>(env, "tcDetach"));
  exports.Set("tcQuery", Napi::Function::New<TcQuery>(env, "tcQuery"));
  exports.Set("mapLookup", Napi::Function::New<MapLookup>(env, "mapLookup"));
  exports.Set("mapUpdate", Napi::Function::New<MapUpdate>(env, "mapUpdate"));
  exports.Set("mapDelete", Napi::Function::New<MapDelete>(env, "mapDelete"));
  exports.Set("mapLookupBatch", Napi::Function::New<MapLookupBatch>(env, "mapLookupBatch"));
  exports.Set("mapNextKey", Napi::Function::New<MapNextKey>(env, "mapNextKey"));
  exports.Set("numPossibleCpus", Napi::Function::New<NumPossibleCpus>(env, "numPossibleCpus"));
  exports.Set("clockOffsetNs", Napi::Function::New<ClockOffsetNs>(env, "clockOffsetNs"));
  exports.Set("monotonicNs", Napi::Function::New<MonotonicNs>(env, "monotonicNs"));
  exports.Set("ifNameToIndex", Napi::Function::New<IfNameToIndex>(env, "ifNameToIndex"));
  exports.Set("vmlinuxTracepointBtfId", Napi::Function::New<VmlinuxTracepointBtfId>(env, "vmlinuxTracepointBtfId"));
  exports.Set("libbpfLog", Napi::Function::New<LibbpfLog>(env, "libbpfLog"));
}

}  // namespace clovisor
