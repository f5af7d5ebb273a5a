#include "ring_reader.h"

#include <errno.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "errors.h"

namespace clovisor {
namespace {

constexpr int kPollTimeoutMs = 100;

size_t Framed(size_t size) { return (4 + size + 7) & ~static_cast<size_t>(7); }

void FreeBatch(RingBatch* b) {
  free(b->data);
  delete b;
}

}  // namespace

// Runs on the JS thread. After close() nothing is delivered: the batch is freed and counted.
void RingCallJs(Napi::Env env, Napi::Function fn, std::shared_ptr<RingStats>* ctx, RingBatch* batch) {
  RingStats& st = **ctx;
  if (env == nullptr || st.closed.load()) {
    st.discardedRecords += batch->count;
    FreeBatch(batch);
    return;
  }
  uint32_t count = batch->count;
  // The JS Buffer takes ownership of the malloc'd bytes; no copy.
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(
      env, batch->data, batch->len, [](Napi::Env, uint8_t* p) { free(p); });
  delete batch;
  fn.Call({buf, Napi::Number::New(env, count)});
}

Napi::Function RingReader::Init(Napi::Env env) {
  return DefineClass(env, "RingReader",
                     {InstanceMethod<&RingReader::Close>("close"),
                      InstanceMethod<&RingReader::Stats>("stats")});
}

RingReader::RingReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RingReader>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  int mapFd = info[0].As<Napi::Number>().Int32Value();
  Napi::Function onBatch = info[1].As<Napi::Function>();
  maxBatchBytes_ = info[2].As<Napi::Number>().Uint32Value();
  size_t maxQueued = info[3].As<Napi::Number>().Uint32Value();
  if (maxBatchBytes_ < 64 || maxQueued < 1) throw ErrnoError(env, EINVAL, "RingReader limits");

  rb_ = ring_buffer__new(mapFd, &RingReader::OnSample, this, nullptr);
  if (rb_ == nullptr) throw ErrnoError(env, errno ? errno : EINVAL, "ring_buffer__new");

  stats_ = std::make_shared<RingStats>();
  auto* ctx = new std::shared_ptr<RingStats>(stats_);
  tsfn_ = RingTsfn::New(env, onBatch, "clovisor-ring-reader", maxQueued, 1, ctx,
                        [](Napi::Env, void*, std::shared_ptr<RingStats>* c) { delete c; });
  // If the environment is torn down with the reader open, stop the thread before it goes away.
  napi_add_env_cleanup_hook(env, &RingReader::OnEnvCleanup, this);
  thread_ = std::thread([this] { Run(); });
}

RingReader::~RingReader() { Shutdown(); }

void RingReader::OnEnvCleanup(void* arg) { static_cast<RingReader*>(arg)->Shutdown(); }

// Idempotent: stop and join the poller (bounded by the poll timeout), then release everything.
void RingReader::Shutdown() {
  if (shut_) return;
  shut_ = true;
  stats_->closed = true;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (cur_.data != nullptr) {
    stats_->discardedRecords += cur_.count;
    free(cur_.data);
    cur_ = RingBatch{};
  }
  tsfn_.Release();
  ring_buffer__free(rb_);
  rb_ = nullptr;
  napi_remove_env_cleanup_hook(env_, &RingReader::OnEnvCleanup, this);
}

void RingReader::Run() {
  while (!stop_.load()) {
    int n = ring_buffer__poll(rb_, kPollTimeoutMs);
    // The BPF side writes most records without a wakeup (see capture.bpf.c), so drain after
    // every poll, timeout included; poll alone only consumes rings that signalled.
    if (n >= 0 || n == -EINTR) n = ring_buffer__consume(rb_);
    if (n < 0 && n != -EINTR) {
      // Back off instead of spinning on a persistent error; the count makes it visible.
      stats_->pollErrors++;
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollTimeoutMs));
    }
    if (cur_.count > 0) Flush();
  }
}

void RingReader::Flush() {
  auto* b = new RingBatch(cur_);
  cur_ = RingBatch{};
  if (tsfn_.NonBlockingCall(b) == napi_ok) {
    stats_->batches++;
  } else {
    stats_->droppedBatches++;
    stats_->droppedRecords += b->count;
    FreeBatch(b);
  }
}

int RingReader::OnSample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingReader*>(ctx);
  RingBatch& cur = self->cur_;
  size_t need = Framed(size);
  if (cur.count > 0 && cur.len + need > self->maxBatchBytes_) self->Flush();
  if (cur.data == nullptr) {
    // A record bigger than the batch limit still gets a batch of its own.
    cur.cap = need > self->maxBatchBytes_ ? need : self->maxBatchBytes_;
    cur.data = static_cast<uint8_t*>(malloc(cur.cap));
    if (cur.data == nullptr) {
      self->stats_->records++;
      self->stats_->droppedRecords++;
      return 0;
    }
  }
  uint32_t len32 = static_cast<uint32_t>(size);
  uint8_t* p = cur.data + cur.len;
  memcpy(p, &len32, 4);
  memcpy(p + 4, data, size);
  memset(p + 4 + size, 0, need - 4 - size);
  cur.len += need;
  cur.count++;
  self->stats_->records++;
  self->stats_->bytes += size;
  return 0;
}

Napi::Value RingReader::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value RingReader::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  RingStats& s = *stats_;
  o.Set("records", static_cast<double>(s.records.load()));
  o.Set("bytes", static_cast<double>(s.bytes.load()));
  o.Set("batches", static_cast<double>(s.batches.load()));
  o.Set("droppedBatches", static_cast<double>(s.droppedBatches.load()));
  o.Set("droppedRecords", static_cast<double>(s.droppedRecords.load()));
  o.Set("discardedRecords", static_cast<double>(s.discardedRecords.load()));
  o.Set("pollErrors", static_cast<double>(s.pollErrors.load()));
  return o;
}

}  // namespace clovisor
