// @clovisor/decoder: TCP reassembly and protocol parsers (pure core), the pcap reader, the bench.
export { FlowDecoder, type FlowDecoderOptions } from './core/decoder.js';
export type { DecoderStats, DecoderCounters } from './core/stats.js';
export { DirectionReassembler } from './core/reassembly/reassembler.js';
export {
  DEFAULT_REASSEMBLY_LIMITS, type ChunkSink, type EndReason, type GapReason, type ReassemblyLimits,
} from './core/reassembly/types.js';
export { DEFAULT_DRIVER_LIMITS, type DriverLimits } from './core/stream/types.js';
export { seqAdd, seqDiff } from './core/seq.js';
export type {
  Direction, Exchange, Framed, ParseResult, Protocol, ProtocolFields, ProtocolName, StitchResult,
} from './protocols/protocol.js';
export { PROTOCOLS, detectProtocol, protocolForHint, type AnyProtocol } from './protocols/registry.js';
export { http1, HTTP1_LIMITS, type Http1Message, type Http1State } from './protocols/http1/index.js';
export {
  readCaptureFile, decodePacket, readPackets, isPcapng, flowIdOf,
  type PcapReadOptions, type PcapReadResult, type PcapReadStats, type CapturedPacket, type TcpPacket,
} from './io/pcap/index.js';
export { benchHttp1 } from './bench/http1-throughput.js';
export { DecoderStage } from './io/kafka-stage.js';
export type { DecoderPluginOptions } from './io/kafka-stage.js';
export {
  DEFAULT_PLUGIN_LIMITS, PluginError, type PluginProtocol, type PluginFields, type PluginLimits, type PluginSpec,
  type PluginFailureCode, type DropCounts,
} from './plugins/types.js';
export { PluginHost, type PluginHostStats, type PluginInfo } from './plugins/host.js';
export type { CallResult, SlotCounters } from './plugins/slot.js';
export { PluginConfigWatcher, PLUGIN_CONFIG_KEY, PLUGIN_RELOAD_CHANNEL, type PluginConfigWatcherOptions, type PluginConfigWatcherStats } from './plugins/redis-config.js';
export { parsePluginSpec, mergePluginSpecs } from './plugins/spec.js';
export { checkPluginModule } from './plugins/load.js';
export { benchHttp2 } from './bench/http2-throughput.js';
export { decoderMetrics, type DecoderMetricsSnapshot } from './io/metrics.js';
