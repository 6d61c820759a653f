import net from 'node:net';

/** A parsed CIDR block: `contains(ip)` for IPv4 and IPv6 (IPv4-mapped IPv6 compares as IPv4). */
export interface Cidr {
  text: string;
  contains(ip: string): boolean;
}

function bytesOf(ip: string): Uint8Array | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const addr = mapped ? mapped[1]! : ip;
  if (net.isIPv4(addr)) return Uint8Array.from(addr.split('.').map(Number));
  if (!net.isIPv6(addr)) return null;
  const [head, tail] = addr.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':') : []);
  let groups = part(head);
  let rest = part(tail);
  // An embedded IPv4 tail (::1.2.3.4) is two groups.
  const last = (tail === undefined ? groups : rest).at(-1);
  if (last && last.includes('.')) {
    const v4 = last.split('.').map(Number);
    const extra = [((v4[0]! << 8) | v4[1]!).toString(16), ((v4[2]! << 8) | v4[3]!).toString(16)];
    if (tail === undefined) groups = [...groups.slice(0, -1), ...extra];
    else rest = [...rest.slice(0, -1), ...extra];
  }
  const zeros = tail === undefined ? [] : Array(8 - groups.length - rest.length).fill('0');
  const all = [...groups, ...zeros, ...rest];
  if (all.length !== 8) return null;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128); throws on anything else. */
export function parseCidr(text: string): Cidr {
  const [addr, len] = text.trim().split('/') as [string, string | undefined];
  const base = bytesOf(addr);
  if (!base) throw new Error(`"${text}" is not an IP network`);
  const max = base.length * 8;
  const bits = len === undefined ? max : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (len !== undefined && !/^\d+$/.test(len)))
    throw new Error(`"${text}" has an invalid prefix length`);
  return {
    text,
    contains(ip: string) {
      const b = bytesOf(ip);
      if (!b || b.length !== base.length) return false;
      for (let i = 0; i < bits; i++) {
        const byte = i >> 3;
        const mask = 0x80 >> (i & 7);
        if ((b[byte]! & mask) !== (base[byte]! & mask)) return false;
      }
      return true;
    },
  };
}
