// IP address text: ntop() values (what inet_ntop(3) prints, as bpftrace uses
// it) and the parsing of pton() literals (what inet_pton(3) accepts). Also
// macaddr() text. Addresses are byte arrays in network order.

export const AF_INET = 2;
export const AF_INET6 = 10;

function ntop4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** glibc's inet_ntop6: longest run (>= 2) of zero words becomes `::`, the first run on ties; ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 tail. */
function ntop6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[2 * i] << 8) | b[2 * i + 1]);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += ntop4(b, 12);
      return out;
    }
    out += words[i].toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

/** Text of an inet value: IPv6 for AF_INET6, IPv4 (first four bytes) otherwise. */
export function formatInet(family: number, addr: Uint8Array): string {
  return family === AF_INET6 ? ntop6(addr) : ntop4(addr);
}

/** inet_pton(AF_INET): four decimal parts 0..255, no leading zeros beyond one digit. */
function pton4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

/** inet_pton(AF_INET6), including `::` and a dotted IPv4 tail. */
function pton6(s: string): number[] | undefined {
  let tail: number[] = [];
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = pton4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    // Drop the dotted tail (keeping a `::` that ended right before it).
    text = text.slice(0, lastColon);
    if (text.endsWith(':')) text += ':';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  if (!head || !rest) return undefined;
  const wordsWanted = 8 - tail.length / 2;
  let words: number[];
  if (halves.length === 2) {
    const fill = wordsWanted - head.length - rest.length;
    if (fill < 1) return undefined;
    words = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    if (head.length !== wordsWanted) return undefined;
    words = head;
  }
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return [...bytes, ...tail];
}

/** pton(): the address bytes (4 for IPv4, 16 for IPv6; chosen by `.` / `:` as bpftrace does), or undefined. */
export function parseInetAddress(s: string): number[] | undefined {
  // bpftrace tries IPv4 whenever there is a dot, so `::ffff:1.2.3.4` is invalid there too.
  if (s.includes('.')) return pton4(s);
  if (s.includes(':')) return pton6(s);
  return undefined;
}

/** macaddr() text: six bytes as upper-case hex pairs joined by `:`. */
export function formatMacAddress(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((bytes[i] ?? 0).toString(16).toUpperCase().padStart(2, '0'));
  return parts.join(':');
}
