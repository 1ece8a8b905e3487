// Map keys and values are built on the BPF stack (512 bytes) before a map
// update. One that cannot fit there fails in LLVM with a message about the
// whole probe; this names the map and its size instead. Only sizes that can
// never fit are rejected, so nothing that compiles today is refused.
import type { DiagnosticBag } from '../diagnostics';
import type { MapInfo } from './index';
import { align8, storageSize } from './types';

const BPF_STACK_BYTES = 512;

export function checkMapSizes(maps: Iterable<MapInfo>, diags: DiagnosticBag): void {
  for (const m of maps) {
    const keyBytes = m.keyTypes.reduce((n, t) => n + align8(storageSize(t)), 0);
    if (keyBytes > BPF_STACK_BYTES) {
      const parts = m.keyTypes.length === 1 ? '' : ` (${m.keyTypes.length} parts)`;
      diags.error(`${m.name}: a map key of ${keyBytes} bytes${parts} does not fit the ${BPF_STACK_BYTES}-byte BPF stack it is built on`, m.loc);
    }
    const valueBytes = m.valueType.kind === 'agg' ? 0 : align8(storageSize(m.valueType));
    if (valueBytes > BPF_STACK_BYTES) {
      diags.error(`${m.name}: a map value of ${valueBytes} bytes does not fit the ${BPF_STACK_BYTES}-byte BPF stack it is built on`, m.loc);
    }
  }
}
