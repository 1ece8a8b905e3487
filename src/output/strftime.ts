// strftime(3) of the local time for time() and strftime(), with bpftrace's
// extension %f (microseconds, 6 digits). Unknown conversions are kept as is.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function pad(n: number, width: number, fill = '0'): string {
  return String(n).padStart(width, fill);
}

function zoneName(d: Date): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    if (part && /^[A-Z]{2,5}$/.test(part.value)) return part.value;
  } catch {
    // No Intl data: fall through.
  }
  const off = -d.getTimezoneOffset();
  return off === 0 ? 'UTC' : zoneOffset(d);
}

function zoneOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return (off < 0 ? '-' : '+') + pad(Math.floor(a / 60), 2) + pad(a % 60, 2);
}

/** Formats `ns` nanoseconds since the Unix epoch (wall clock) in local time. */
export function strftime(format: string, ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const usec = Number((ns / 1000n) % 1_000_000n);
  const d = new Date(ms);
  const Y = d.getFullYear();
  const m = d.getMonth();
  const day = d.getDate();
  const H = d.getHours();
  const M = d.getMinutes();
  const S = d.getSeconds();
  const yday = Math.round((new Date(Y, m, day).getTime() - new Date(Y, 0, 1).getTime()) / 86400000) + 1;
  const conv = (c: string): string | undefined => {
    switch (c) {
      case 'Y': return String(Y);
      case 'C': return pad(Math.floor(Y / 100), 2);
      case 'y': return pad(Y % 100, 2);
      case 'm': return pad(m + 1, 2);
      case 'd': return pad(day, 2);
      case 'e': return pad(day, 2, ' ');
      case 'H': return pad(H, 2);
      case 'k': return pad(H, 2, ' ');
      case 'I': return pad(H % 12 === 0 ? 12 : H % 12, 2);
      case 'l': return pad(H % 12 === 0 ? 12 : H % 12, 2, ' ');
      case 'M': return pad(M, 2);
      case 'S': return pad(S, 2);
      case 'f': return pad(usec, 6);
      case 'p': return H < 12 ? 'AM' : 'PM';
      case 'P': return H < 12 ? 'am' : 'pm';
      case 'a': return DAYS[d.getDay()].slice(0, 3);
      case 'A': return DAYS[d.getDay()];
      case 'b': case 'h': return MONTHS[m].slice(0, 3);
      case 'B': return MONTHS[m];
      case 'j': return pad(yday, 3);
      case 'u': return String(d.getDay() === 0 ? 7 : d.getDay());
      case 'w': return String(d.getDay());
      case 'Z': return zoneName(d);
      case 'z': return zoneOffset(d);
      case 's': return String(Math.floor(ms / 1000));
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      case 'T': return `${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)}`;
      case 'R': return `${pad(H, 2)}:${pad(M, 2)}`;
      case 'D': return `${pad(m + 1, 2)}/${pad(day, 2)}/${pad(Y % 100, 2)}`;
      case 'F': return `${Y}-${pad(m + 1, 2)}-${pad(day, 2)}`;
      case 'c': return `${DAYS[d.getDay()].slice(0, 3)} ${MONTHS[m].slice(0, 3)} ${pad(day, 2, ' ')} ${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)} ${Y}`;
      case 'x': return `${pad(m + 1, 2)}/${pad(day, 2)}/${pad(Y % 100, 2)}`;
      case 'X': return `${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)}`;
      default: return undefined;
    }
  };
  return format.replace(/%(.)/gs, (all, c: string) => conv(c) ?? all);
}
