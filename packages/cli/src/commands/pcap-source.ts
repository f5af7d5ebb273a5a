// A capture file → the SegmentBatch records live capture would have published for it: the
// decoder's pcap reader, then the protocol hint of each flow from the --port rules (by server
// port, exactly as the capture agent sets it), so `pcap decode` and `pcap import` see what
// `clovisor capture` would have sent.
import { readFile } from 'node:fs/promises';
import { ClovisorError, ConfigError, DecodeError, errorMessage, type SegmentBatch } from '@clovisor/core';
import { readCaptureFile, type PcapReadStats } from '@clovisor/decoder';

export interface CaptureSource {
  batches: SegmentBatch[];
  stats: PcapReadStats;
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The user named a file we cannot read: something to fix on the command line (exit 2).
    if (code === 'ENOENT') throw new ConfigError(`${path}: no such file; give the path of a .pcap or .pcapng capture`);
    if (code === 'EISDIR') throw new ConfigError(`${path}: is a directory; give the path of a .pcap or .pcapng capture`);
    if (code === 'EACCES') throw new ConfigError(`${path}: permission denied; check the file's permissions or run as its owner`);
    throw new ConfigError(`${path}: cannot read: ${errorMessage(err)}`, { cause: err });
  }
}

/** ports: the --port rules, a plugin's protocol name allowed (it only becomes the flows' hint). */
export async function readCaptureSource(path: string, ports: readonly { port: number; protocol: string }[], node: string): Promise<CaptureSource> {
  const bytes = await readBytes(path);
  let result: ReturnType<typeof readCaptureFile>;
  try {
    result = readCaptureFile(bytes, { node, serverPorts: ports.map((p) => p.port) });
  } catch (err) {
    // A file that is there but is not a capture: a runtime failure (exit 1), named with the file.
    if (err instanceof DecodeError) {
      throw new ClovisorError(err.code, `${path}: ${err.message}; give a capture written by tcpdump -w, dumpcap or Wireshark`, { cause: err });
    }
    throw err;
  }
  const hints = new Map(ports.map((p) => [p.port, p.protocol]));
  for (const batch of result.batches) batch.protocolHint = hints.get(batch.server.port) ?? null;
  return result;
}
