import { readFileSync } from 'node:fs';
import type { Endpoint, IntEvent, Transport } from '@clovisor/core';

// Real frames for INT tests: the Ethernet frames of the decoder's recorded pcaps
// (services/decoder/test-fixtures, real traffic recorded with dumpcap; see its README).

const DIR = new URL('../../../decoder/test-fixtures/', import.meta.url);

export interface FixtureFrame {
  frame: Buffer;
  /** length on the wire */
  wireLength: number;
  transport: Transport;
  source: Endpoint;
  destination: Endpoint;
}

/** The Ethernet frames of a classic pcap (little-endian, link type 1) with their IP/L4 addresses. */
export function fixtureFrames(name: string): FixtureFrame[] {
  const file = readFileSync(new URL(name, DIR));
  if (file.readUInt32LE(0) !== 0xa1b2c3d4 || file.readUInt32LE(20) !== 1) throw new Error(`${name}: not a little-endian Ethernet pcap`);
  const frames: FixtureFrame[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const captured = file.readUInt32LE(at + 8);
    const wireLength = file.readUInt32LE(at + 12);
    const frame = Buffer.from(file.subarray(at + 16, at + 16 + captured));
    at += 16 + captured;
    const parsed = addresses(frame);
    if (parsed) frames.push({ frame, wireLength, ...parsed });
  }
  return frames;
}

function addresses(frame: Buffer): Omit<FixtureFrame, 'frame' | 'wireLength'> | null {
  const ethertype = frame.readUInt16BE(12);
  let protocol: number;
  let l4: number;
  let src: string;
  let dst: string;
  if (ethertype === 0x0800) {
    protocol = frame[23]!;
    l4 = 14 + (frame[14]! & 0x0f) * 4;
    src = [...frame.subarray(26, 30)].join('.');
    dst = [...frame.subarray(30, 34)].join('.');
  } else if (ethertype === 0x86dd) {
    protocol = frame[20]!;
    l4 = 54;
    src = ipv6(frame.subarray(22, 38));
    dst = ipv6(frame.subarray(38, 54));
  } else {
    return null;
  }
  if (protocol !== 6 && protocol !== 17) return null;
  return {
    transport: protocol === 6 ? 'TCP' : 'UDP',
    source: { address: src, port: frame.readUInt16BE(l4) },
    destination: { address: dst, port: frame.readUInt16BE(l4 + 2) },
  };
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** An IntEvent for a fixture frame: its first 128 bytes, as capture copies them. */
export function eventOf(f: FixtureFrame, fields: Partial<IntEvent> & Pick<IntEvent, 'kind'>): IntEvent {
  return {
    trigger: fields.kind === 'DROP' ? 'DROP' : 'FIRST',
    ingressIfindex: 0,
    egressIfindex: 0,
    ingressTimeNs: null,
    egressTimeNs: null,
    dropTimeNs: null,
    dropReason: null,
    dropReasonName: null,
    flow: { transport: f.transport, source: f.source, destination: f.destination },
    packet: f.frame.subarray(0, 128),
    packetLength: f.wireLength,
    ...fields,
  };
}
