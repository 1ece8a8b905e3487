import { it } from 'vitest';
import { buildWorkload, traceWorkload, WORKLOAD_C, uniqueComm, runTracer } from './helpers/run';
it('scratch', async () => {
  const name = uniqueComm('tsw');
  const bin = buildWorkload(name, WORKLOAD_C);
  for (const t of ['bpftrace', 'tstrace'] as const) {
    const r = await traceWorkload(t, ['-e', `tracepoint:syscalls:sys_enter_read /comm == "${name}"/ { @s = sum(args->count); @mn = min(args->count); @mx = max(args->count); @a = avg(args->count); @c[args->count] = count(); }`], bin, ['read', '5', '100', '7', '3000', '42', '7']);
    console.log(t, JSON.stringify(r));
  }
}, 60000);
