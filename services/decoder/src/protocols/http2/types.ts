// HTTP/2 messages, the frames handed to the driver, and per-connection parser state.
import { DynamicTable } from './hpack.js';
import { newGrpcCounter, type GrpcCounter } from './grpc.js';

/** One HTTP/2 message (a request or a response on one stream). Bodies are counted, never kept. */
export interface Http2Message {
  streamId: number;
  kind: 'request' | 'response';
  method: string;
  path: string;
  authority: string;
  /** :status of the final response (a 1xx is replaced by the one after it), 0 if none */
  status: number;
  /** allowlisted fields (trailers included), credentials redacted */
  headers: Record<string, string>;
  contentType: string | null;
  grpcStatus: number | null;
  grpcMessage: string | null;
  /** DATA payload bytes (padding excluded), uncaptured ones included */
  bodyBytes: number;
  /** all frame bytes of this message on the wire (headers, padding, continuation) */
  wireBytes: number;
  /** bytes of this message lost in capture gaps */
  gapBytes: number;
  /** a capture gap hit its direction while it was open: frames of it may be missing */
  crossedGap: boolean;
  grpc: GrpcCounter;
  /** some header fields referenced HPACK entries lost to a capture gap */
  headersPartial: boolean;
  /** RST_STREAM error code if the stream was reset */
  resetCode: number | null;
  ended: boolean;
}

/**
 * What parseFrame hands the driver: the start (HEADERS) and the end (END_STREAM or reset) of a
 * message, so the driver stamps each with the time and place of its own frame; stitch joins
 * the two (streams interleave, so the bytes between them belong to other streams too).
 */
export interface Http2Frame {
  msg: Http2Message;
  start: boolean;
  end: boolean;
}

/** A DATA (or skipped) frame whose payload is streaming through. */
export interface PayloadInProgress {
  msg: Http2Message | null;
  /** payload bytes left, padding included */
  left: number;
  /** of which trailing padding */
  pad: number;
  endStream: boolean;
}

export interface Http2DirectionState {
  /** the preface (request) / the first SETTINGS (response) was seen: HPACK starts exact */
  started: boolean;
  table: DynamicTable;
  payload: PayloadInProgress | null;
  /** frames sent in this direction are bounded by the peer's SETTINGS_MAX_FRAME_SIZE */
  maxFrameSize: number;
  /** CONTINUATION frames of a header block too large to decode, to be skipped */
  skipContinuationOf: number;
}

export interface StreamState {
  request: Http2Message | null;
  response: Http2Message | null;
  requestDone: boolean;
  responseDone: boolean;
}

export interface Http2Counters {
  /** streams not tracked: over maxOpenStreams (oldest evicted) */
  streamsEvicted: number;
  /** header blocks decoded while HPACK entries were unknown */
  unreliableHeaderBlocks: number;
  /** header blocks over the size bound, skipped */
  oversizedHeaderBlocks: number;
  pushPromises: number;
  /** HEADERS/DATA on streams with no known request (push streams, missed requests) */
  untrackedFrames: number;
}

export interface Http2State {
  request: Http2DirectionState;
  response: Http2DirectionState;
  /** open streams by id, insertion order = oldest first */
  streams: Map<number, StreamState>;
  goaway: boolean;
  counters: Http2Counters;
}

export const HTTP2_LIMITS = {
  maxOpenStreams: 1000,
  /** HEADERS + CONTINUATION payload decoded at once */
  maxHeaderBlockBytes: 64 * 1024,
  /** frames other than DATA/HEADERS are read whole up to this size, else skipped */
  maxControlFrameBytes: 16 * 1024,
  /** RFC 9113 §4.2: 2^14 unless SETTINGS raise it, never above 2^24 - 1 */
  defaultMaxFrameSize: 16_384,
  maxFrameSize: 16_777_215,
  maxValueChars: 2048,
} as const;

export function newDirection(): Http2DirectionState {
  return {
    started: false, table: new DynamicTable(), payload: null,
    maxFrameSize: HTTP2_LIMITS.defaultMaxFrameSize, skipContinuationOf: -1,
  };
}

export function newHttp2State(): Http2State {
  return {
    request: newDirection(), response: newDirection(), streams: new Map(), goaway: false,
    counters: { streamsEvicted: 0, unreliableHeaderBlocks: 0, oversizedHeaderBlocks: 0, pushPromises: 0, untrackedFrames: 0 },
  };
}

export function newMessage(streamId: number, kind: 'request' | 'response'): Http2Message {
  return {
    streamId, kind, method: '', path: '', authority: '', status: 0, headers: {}, contentType: null,
    grpcStatus: null, grpcMessage: null, bodyBytes: 0, wireBytes: 0, gapBytes: 0, crossedGap: false, grpc: newGrpcCounter(),
    headersPartial: false, resetCode: null, ended: false,
  };
}
