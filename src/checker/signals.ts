// Signal names for signal(): case-insensitive, with or without the `SIG`
// prefix (bpftrace's signal_name_to_num), numbered as on this platform.
import * as os from 'os';

export function signalNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  const key = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as keyof typeof os.constants.signals;
  const n = os.constants.signals[key];
  return typeof n === 'number' && n >= 1 ? n : undefined;
}
