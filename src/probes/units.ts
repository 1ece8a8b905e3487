// Time units of timer probes (interval, profile): `UNIT:N` with UNIT one of
// hz|s|ms|us, or HEAD's single `1s`/`100ms`/`1000` (ns) form.
import { ProbeError } from './provider';

const UNIT_NS: Record<string, number> = { s: 1e9, ms: 1e6, us: 1e3 };

/** Period in ns of `UNIT:N` (`hz` is a rate), or of HEAD's single `1s`/`100ms` form. */
export function periodNs(parts: string[]): number {
  return parseTimer(parts).periodNs;
}

/** `UNIT:N` parsed: the unit, the count, and the period in ns (for `hz`, 1e9/N rounded). */
export function parseTimer(parts: string[], probeType = 'interval'): { unit: string; count: number; periodNs: number } {
  let unit: string;
  let count: string;
  // `interval:s`, `interval:`: no count at all, so 0.17's arity message says more than HEAD's.
  if (parts.length === 1 && !/^[0-9]/.test(parts[0])) throw new ProbeError(`${probeType} probe type requires 2 arguments`);
  if (parts.length === 1) {
    const m = /^([0-9]+)(s|ms|us|ns|hz)?$/.exec(parts[0]);
    if (!m) throw new ProbeError(`${parts[0]} is not a valid interval`);
    count = m[1];
    unit = m[2] ?? 'ns';
  } else {
    [unit, count] = parts;
    if (unit === '') throw new ProbeError(`${probeType} probe must have unit of time`);
  }
  if (!/^[0-9]+$/.test(count)) throw new ProbeError(`Invalid rate of ${unit}: ${count}`);
  const n = Number(count);
  if (n <= 0) throw new ProbeError(`Invalid rate of ${unit}: ${count}`);
  if (unit === 'hz') return { unit, count: n, periodNs: Math.round(1e9 / n) };
  if (unit === 'ns') return { unit, count: n, periodNs: n };
  const scale = UNIT_NS[unit];
  if (!scale) throw new ProbeError(`${unit} is not an accepted unit of time`);
  return { unit, count: n, periodNs: n * scale };
}

/**
 * A sample count of software/hardware probes: decimal, 0x hex, or `1e6`
 * (bpftrace's reference guide writes `hardware:cache-misses:1e6`).
 */
export function parseCount(text: string): number {
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(text)) n = parseInt(text, 16);
  else if (/^[0-9]+(e[0-9]+)?$/i.test(text)) n = Number(text);
  else throw new ProbeError(`Found trailing non-numeric characters: ${text}`);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ProbeError(`Invalid count: ${text}`);
  return n;
}
