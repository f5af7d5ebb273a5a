// switch_id (v0.5) / Node ID (v2.0): the node's IPv4 address as a big-endian 32-bit number,
// as int-host-reporter derives it, unless an integer is configured.

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** 10.0.0.5 → 0x0a000005; null for anything that is not a dotted IPv4 address. */
export function switchIdFromIpv4(address: string | null): number | null {
  const match = address === null ? null : IPV4.exec(address.trim());
  if (!match) return null;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}
