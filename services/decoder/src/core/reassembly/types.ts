// What the reassembler delivers, in stream order, for one direction of one flow.

/** Why bytes are missing: lost = never seen (capture loss, window overflow, flush);
 * truncated = the tail of a segment cut by the snaplen (its length is known from wireLength). */
export type GapReason = 'lost' | 'truncated';

/** Why a direction ended. */
export type EndReason = 'fin' | 'rst' | 'flush';

/** Receives one direction's byte stream; seq is the TCP sequence number of the first byte. */
export interface ChunkSink {
  data(bytes: Buffer, seq: number, timestampNs: bigint): void;
  gap(length: number, seq: number, timestampNs: bigint, reason: GapReason): void;
  end(reason: EndReason): void;
}

export interface ReassemblyLimits {
  /** payload bytes held out of order per direction before the oldest hole is declared a gap */
  maxOutOfOrderBytes: number;
  /** segments held out of order per direction */
  maxOutOfOrderSegments: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxOutOfOrderBytes: 256 * 1024,
  maxOutOfOrderSegments: 128,
};

/** Counters shared by every reassembler of a decoder (see DecoderStats). */
export interface ReassemblyCounters {
  duplicateSegments: number;
  duplicateBytes: number;
  outOfOrderSegments: number;
  gaps: number;
  gapBytes: number;
  truncatedSegments: number;
  truncatedBytes: number;
  /** payload segments after the direction ended (late retransmissions) */
  segmentsAfterEnd: number;
}

export function newReassemblyCounters(): ReassemblyCounters {
  return {
    duplicateSegments: 0, duplicateBytes: 0, outOfOrderSegments: 0, gaps: 0, gapBytes: 0,
    truncatedSegments: 0, truncatedBytes: 0, segmentsAfterEnd: 0,
  };
}
