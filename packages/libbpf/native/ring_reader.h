// RingReader: a native thread polls a BPF ring buffer and hands records to JS in batches.
//
// Batch framing (little-endian host order): repeated [u32 length][record bytes][zero pad to 8].
// Batches go through a ThreadSafeFunction with a bounded queue; when JS falls behind and the
// queue is full, the batch is dropped and counted (droppedBatches/droppedRecords), never blocking
// the poller (a blocked poller would let the kernel ring fill and lose events silently there).
#pragma once
#include <bpf/libbpf.h>
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

namespace clovisor {

struct RingBatch {
  uint8_t* data = nullptr;
  size_t len = 0;
  size_t cap = 0;
  uint32_t count = 0;
};

struct RingStats {
  std::atomic<bool> closed{false};
  std::atomic<uint64_t> records{0};           // read from the kernel ring
  std::atomic<uint64_t> bytes{0};             // record bytes read (without framing)
  std::atomic<uint64_t> batches{0};           // queued to JS
  std::atomic<uint64_t> droppedBatches{0};    // queue full
  std::atomic<uint64_t> droppedRecords{0};
  std::atomic<uint64_t> discardedRecords{0};  // still undelivered when close() ran
  std::atomic<uint64_t> pollErrors{0};
};

void RingCallJs(Napi::Env env, Napi::Function fn, std::shared_ptr<RingStats>* ctx, RingBatch* batch);
using RingTsfn = Napi::TypedThreadSafeFunction<std::shared_ptr<RingStats>, RingBatch, RingCallJs>;

class RingReader : public Napi::ObjectWrap<RingReader> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new RingReader(mapFd, onBatch(batch: Buffer, count: number), maxBatchBytes, maxQueuedBatches)
  explicit RingReader(const Napi::CallbackInfo& info);
  ~RingReader() override;

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void Shutdown();
  void Run();
  void Flush();
  static int OnSample(void* ctx, void* data, size_t size);
  static void OnEnvCleanup(void* arg);

  napi_env env_ = nullptr;
  ring_buffer* rb_ = nullptr;
  RingTsfn tsfn_;
  std::shared_ptr<RingStats> stats_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  RingBatch cur_;  // touched only by the poller thread
  size_t maxBatchBytes_ = 0;
  bool shut_ = false;
};

}  // namespace clovisor
