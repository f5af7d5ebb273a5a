// PostgreSQL frontend/backend protocol v3: frames and per-connection parser state.
//
// A frame is one message *cycle*, not one protocol message: the request frame is the client's
// messages of one cycle (a simple Query, or Parse/Bind/Describe/Execute/... up to Sync, or the
// StartupMessage), the response frame is the server's messages up to ReadyForQuery (or the
// ErrorResponse that ends a failed startup). Message bodies nobody needs (DataRow, CopyData,
// password/SASL tokens) are counted while they stream, never kept.

export type PgFrameKind = 'startup' | 'cancel' | 'query' | 'response';

export interface PgFrame {
  kind: PgFrameKind;
  /** protocol messages in the frame */
  messages: number;
  /** request: the query texts of the cycle (Query text, or the Parse text behind each Execute) */
  queries: string[];
  /** request: texts Parsed in this cycle (the query of a cycle that executes nothing) */
  prepared: string[];
  /** request: Parse/Bind/Execute were used */
  extended: boolean;
  /** request: Bind or Execute of a statement parsed before the capture (its text is unknown) */
  unknownStatements: string[];
  /** startup: user, database, application_name as sent (never a password) */
  params: Record<string, string>;
  /** response: CommandComplete tags in order (bounded) */
  tags: string[];
  /** response: first ErrorResponse as "SQLSTATE message" */
  error: string | null;
  /** response: DataRow messages and their bytes (counted, never kept) */
  rows: number;
  rowBytes: number;
  /** response: the startup/authentication exchange */
  startup: boolean;
  /** response: ended by ReadyForQuery (a failed startup ends with its ErrorResponse) */
  ready: boolean;
}

/** Where one direction's parser is. */
export interface PgDirectionState {
  /** the cycle in progress, null between cycles */
  frame: PgFrame | null;
  /** body bytes of the current message still to pass over (counted, not kept) */
  skip: number;
  /** the skipped message ends the cycle */
  endAfterSkip: boolean;
}

export interface PgState {
  request: PgDirectionState;
  response: PgDirectionState;
  /** no untyped startup-phase message is expected any more (typed messages seen or sent) */
  startupDone: boolean;
  /** the server owes the one-byte answer to an SSLRequest / GSSENCRequest */
  answer: 'ssl' | 'gss' | null;
  /** a StartupMessage was sent and its exchange has not ended */
  startupPending: boolean;
  /** request cycles not yet answered (notices between cycles are asynchronous) */
  outstanding: number;
  /** prepared statement name ('' = unnamed) → query text; oldest dropped beyond the bound */
  statements: Map<string, string>;
  /** portal name → query text of its statement (null: statement unknown) */
  portals: Map<string, string | null>;
  /** the connection stopped speaking the protocol in clear: 'tls' or 'gss' */
  switched: string | null;
}

export const PG_LIMITS = {
  /** any typed message (PostgreSQL's own limit for most messages is 1 GiB) */
  maxMessageBytes: 1024 * 1024 * 1024,
  /** untyped startup-phase message (PostgreSQL rejects more than 10000) */
  maxStartupBytes: 10_000,
  /** body bytes looked at for a query text (Query, Parse); the rest is counted only */
  maxQueryBodyBytes: 16 * 1024,
  /** a kept query text is cut to this many characters */
  maxQueryChars: 4096,
  /** body bytes looked at for an ErrorResponse */
  maxErrorBodyBytes: 16 * 1024,
  maxErrorMessageChars: 1024,
  /** body bytes looked at for names (Bind, Execute, Close) and tags */
  maxNameBodyBytes: 1024,
  /** an ignored message (password, notification, notice) is waited for whole up to this size */
  maxIgnoredWholeBytes: 64 * 1024,
  /** queries and tags kept per cycle */
  maxPerCycle: 16,
  /** prepared statements and portals remembered per connection */
  maxStatements: 256,
} as const;

export function newFrame(kind: PgFrameKind): PgFrame {
  return {
    kind, messages: 0, queries: [], prepared: [], extended: false, unknownStatements: [], params: {},
    tags: [], error: null, rows: 0, rowBytes: 0, startup: false, ready: false,
  };
}

export function newDirectionState(): PgDirectionState {
  return { frame: null, skip: 0, endAfterSkip: false };
}

export function newPgState(): PgState {
  return {
    request: newDirectionState(), response: newDirectionState(), startupDone: false, answer: null,
    startupPending: false, outstanding: 0, statements: new Map(), portals: new Map(), switched: null,
  };
}
