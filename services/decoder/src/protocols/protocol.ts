// The one contract every protocol folder implements (after Pixie's protocol parsers).
//
// The shared driver (core/stream/) owns the byte buffer of each direction and all recovery:
// it calls parseFrame() on the bytes it holds, drops what the parser consumed, resyncs with
// findFrameBoundary() after 'invalid' or a capture gap, and counts every byte it skips. A parser
// never scans for resync points itself and never keeps bytes: it keeps only small per-connection
// state (where it is inside a body, the methods awaiting responses, ...).
//
//   findFrameBoundary  where the next frame may start, for resync
//   parseFrame         one frame from the front of the buffer:
//                        success          frame parsed; `consumed` bytes belong to it
//                        needs-more-data  call again with more bytes. `absorbed` > 0 only for bytes
//                                         the parser accounted into its state (a message head, body
//                                         bytes counted, never stored); the driver drops them and
//                                         the frame keeps growing until success
//                        invalid          not this protocol here; the driver resyncs and counts.
//                                         `absorbed` (optional): bytes before the bad spot that the
//                                         parser walked and accounted into the frame in progress;
//                                         the frame takes them (and is cut short there), so the
//                                         resync starts at the bad spot instead of re-walking them
//                        ignored          a valid frame nobody needs (`consumed` bytes dropped)
//                        end-of-stream    the connection stopped speaking this protocol
//                                         (Upgrade, CONNECT tunnel); the rest is not parsed
//   absorbGap          a known-length hole at the front of the stream: how many of its bytes the
//                      frame in progress accounts for (body bytes); 0 when the bytes were needed
//   abandon            the frame in progress was cut short: return what is known of it (or null)
//   stitch             pair requests with responses, leaving unmatched frames for the next round
//   describe           the protocol's fields of the Transaction record
import type { ProtocolName as ConfiguredProtocol, Transaction } from '@clovisor/core';

/** Every protocol the decoder parses (a subset of the names ports are configured with); the
 * registry must have exactly these keys. gRPC is decoded by http2. */
export type ProtocolName = Extract<ConfiguredProtocol, 'http' | 'http2' | 'dns' | 'redis' | 'postgres' | 'kafka'>;

/** request = client → server bytes, response = server → client bytes. */
export type Direction = 'request' | 'response';

export type ParseResult<F> =
  | { kind: 'success'; frame: F; consumed: number }
  | { kind: 'needs-more-data'; absorbed: number }
  | { kind: 'invalid'; reason: string; absorbed?: number }
  | { kind: 'ignored'; consumed: number }
  | { kind: 'end-of-stream' };

/** A parsed frame with its place on the wire, filled in by the driver. */
export interface Framed<F> {
  frame: F;
  direction: Direction;
  /** position among the frames of this direction, from 0 (messageIndex for requests) */
  index: number;
  /** TCP sequence number of the first byte */
  seq: number;
  /** capture timestamps of the segments carrying the first and the last byte */
  startNs: bigint;
  endNs: bigint;
  /** bytes on the wire, holes the frame absorbed included */
  wireBytes: number;
  /** of which not captured: snaplen truncation */
  truncatedBytes: number;
  /** of which not captured: lost in the capture */
  lostBytes: number;
  /** cut short before its end (gap, close, eviction): fields may be missing */
  partial: boolean;
  /** first frame after a resync: frames before it in this direction may be lost */
  afterResync: boolean;
  notes: string[];
}

/** A request with its response (null when none was captured). */
export interface Exchange<F> {
  request: Framed<F>;
  response: Framed<F> | null;
  notes: string[];
}

export interface StitchResult<F> {
  transactions: Exchange<F>[];
  leftover: { requests: Framed<F>[]; responses: Framed<F>[] };
  /** responses dropped because no captured request can own them */
  orphanResponses: number;
}

/** The protocol-specific part of a Transaction: a protocol sets its own field(s), the rest stay null. */
export type ProtocolFields = Partial<Pick<Transaction, 'http' | 'grpc' | 'dns' | 'redis' | 'postgres' | 'kafka' | 'attributes'>>;

export interface Protocol<F = unknown, S = unknown> {
  readonly name: ProtocolName;
  /** Port names (Istio naming `<name>` or `<name>-<suffix>`, or appProtocol) that select this
   * protocol, e.g. http2: ['http2', 'grpc', 'grpc-web', 'h2c']. */
  readonly portNames: readonly string[];
  /** Does this look like the start of a message of this protocol? portHint = server port. */
  detect(bytes: Buffer, portHint: number | null): boolean;
  /** Per-connection parser state, shared by both directions (a response may depend on its request). */
  newState(): S;
  /** Offset >= from where a frame may start in buffer, or -1. */
  findFrameBoundary(direction: Direction, buffer: Buffer, from: number): number;
  /** atEnd: no more bytes will come in this direction (lets close-delimited frames end). */
  parseFrame(direction: Direction, buffer: Buffer, state: S, atEnd: boolean): ParseResult<F>;
  absorbGap(direction: Direction, length: number, state: S): number;
  /** buffer = the unconsumed bytes of the frame in progress. Resets the direction's state. */
  abandon(direction: Direction, buffer: Buffer, state: S): F | null;
  /** final: the flow is over; every unmatched request becomes an exchange without response. */
  stitch(requests: Framed<F>[], responses: Framed<F>[], final: boolean): StitchResult<F>;
  describe(exchange: Exchange<F>): ProtocolFields;
}
