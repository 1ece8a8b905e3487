// Can this process load BPF programs and open perf events? Checked before
// anything is compiled or loaded, so a missing privilege is one clear line
// rather than a map-creation failure. Capability based, as current bpftrace:
// the kernel asks for CAP_BPF (loading, maps) and CAP_PERFMON (tracing
// programs, perf events), or CAP_SYS_ADMIN for either.
import * as fs from 'fs';

const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

/** The missing privilege as an error message, or undefined; `status` is /proc/self/status. */
export function missingPrivilege(status?: string): string | undefined {
  let text = status;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/status', 'utf8');
    } catch {
      return undefined; // no procfs: let the kernel decide
    }
  }
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(text);
  if (!m) return undefined;
  const effective = BigInt(`0x${m[1]}`);
  const has = (cap: number) => ((effective >> BigInt(cap)) & 1n) === 1n;
  if (has(CAP_SYS_ADMIN)) return undefined;
  if (!has(CAP_BPF)) return 'Missing CAP_BPF capability, please run tstrace as the root user.';
  if (!has(CAP_PERFMON)) return 'Missing CAP_PERFMON capability, please run tstrace as the root user.';
  return undefined;
}
