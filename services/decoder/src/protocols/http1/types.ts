// HTTP/1.x frames and per-connection parser state.

export type BodyFraming = 'none' | 'length' | 'chunked' | 'close' | 'unknown';

/** One HTTP/1.x message. Body bytes are counted, never kept. */
export interface Http1Message {
  kind: 'request' | 'response';
  version: '1.0' | '1.1';
  /** request: method and request-target as sent ('' in responses) */
  method: string;
  target: string;
  /** response: status code and reason phrase (0 and '' in requests) */
  statusCode: number;
  reason: string;
  /** allowlisted fields (trailers included), lower-case names, credentials redacted */
  headers: Record<string, string>;
  /** start line + header fields + the empty line */
  headBytes: number;
  /** body bytes as sent (chunked: the data, without chunk framing), uncaptured ones included */
  bodyBytes: number;
  framing: BodyFraming;
  /** 1xx other than 101: an interim response before the final one */
  interim: boolean;
  /** false when the message was cut short inside its head: header fields may be missing */
  headComplete: boolean;
  /** the connection stopped speaking HTTP/1 after this message: 'websocket', 'h2c', 'tunnel', ... */
  switchTo: string | null;
}

export type ChunkPhase = 'size' | 'data' | 'data-crlf' | 'trailers';

/** Where one direction's parser is. Only the head of the message in progress is kept. */
export interface Http1DirectionState {
  msg: Http1Message | null; // non-null while in a body
  remaining: number; // length framing: body bytes left; chunked: bytes left in this chunk (or CRLF)
  chunkPhase: ChunkPhase;
  trailerBytes: number;
  /** resume the search for the end of the head here (the bytes before were scanned already) */
  headScanFrom: number;
}

export interface Http1State {
  request: Http1DirectionState;
  response: Http1DirectionState;
  /** methods of requests whose final response has not been parsed (bounded) */
  awaiting: string[];
  /** set when the connection switched protocol: both directions stop */
  switched: string | null;
}

export const HTTP1_LIMITS = {
  /** start line + header fields */
  maxHeadBytes: 64 * 1024,
  maxHeaderFields: 256,
  maxMethodLength: 20,
  maxTargetBytes: 16 * 1024,
  /** chunk-size line incl. extensions */
  maxChunkLineBytes: 1024,
  maxTrailerBytes: 64 * 1024,
  /** a kept header value is cut to this many characters */
  maxHeaderValueChars: 2048,
  /** methods remembered for responses not yet seen (pipelining depth) */
  maxAwaiting: 64,
} as const;

export function newDirectionState(): Http1DirectionState {
  return { msg: null, remaining: 0, chunkPhase: 'size', trailerBytes: 0, headScanFrom: 0 };
}

export function newHttp1State(): Http1State {
  return { request: newDirectionState(), response: newDirectionState(), awaiting: [], switched: null };
}
