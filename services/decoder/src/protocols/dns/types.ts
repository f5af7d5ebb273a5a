// DNS messages (RFC 1035 §4) as the decoder keeps them, their bounds, and type / rcode names.

export interface DnsQuestion {
  name: string; // without the trailing dot; the root is "."
  type: number;
  class: number;
}

export interface DnsMessage {
  id: number;
  /** QR: false = query, true = response */
  response: boolean;
  opcode: number;
  rcode: number;
  /** TC: the server cut the answer to fit a datagram (the client retries over TCP) */
  truncated: boolean;
  questions: DnsQuestion[];
  /** answer-section records as text ("A 10.0.0.1"), at most DNS_LIMITS.maxAnswers */
  answers: string[];
  /** answer records beyond maxAnswers, counted, not kept */
  answersDropped: number;
  /** false when the bytes ended before every section was read (snaplen, gap, close) */
  complete: boolean;
}

export const DNS_LIMITS = {
  /** RFC 1035 §2.3.4: names ≤ 255 octets on the wire, labels ≤ 63 */
  maxNameOctets: 255,
  maxLabel: 63,
  /** compression pointers followed for one name (they must also point backwards) */
  maxPointerHops: 64,
  maxQuestionsKept: 4,
  maxAnswers: 32,
  /** a kept answer text is cut to this many characters */
  maxAnswerChars: 512,
} as const;

const TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA',
  33: 'SRV', 35: 'NAPTR', 39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY',
  64: 'SVCB', 65: 'HTTPS', 251: 'IXFR', 252: 'AXFR', 255: 'ANY', 257: 'CAA',
};

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export function typeName(t: number): string {
  return TYPES[t] ?? `TYPE${t}`;
}

export function rcodeName(r: number): string {
  return RCODES[r] ?? `RCODE${r}`;
}
