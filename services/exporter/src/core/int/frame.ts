// Where the IP header of an inner Ethernet frame starts: after the Ethernet header and at most
// two VLAN tags (802.1Q, 802.1ad). Shared by the drop-reason refinement and the collector.

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8]);

/** The IP header's offset and version, or null when the frame carries neither IPv4 nor IPv6. */
export function ipHeaderAt(frame: Buffer): { at: number; version: 4 | 6 } | null {
  let offset = 12;
  if (frame.length < offset + 2) return null;
  let ethertype = frame.readUInt16BE(offset);
  for (let tags = 0; tags < 2 && VLAN_TAGS.has(ethertype) && frame.length >= offset + 6; tags++) {
    offset += 4;
    ethertype = frame.readUInt16BE(offset);
  }
  if (ethertype === ETH_IPV4) return { at: offset + 2, version: 4 };
  if (ethertype === ETH_IPV6) return { at: offset + 2, version: 6 };
  return null;
}
