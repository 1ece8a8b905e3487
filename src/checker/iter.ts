// An iter probe runs once, over the iterator's objects, when tstrace reads
// it; nothing else can fire meanwhile. As bpftrace 0.17: an iter attach
// point must be its probe's only one. Beyond 0.17 (which accepts it and then
// runs only the first probe it attached, docs/compat.md): no other probe
// besides BEGIN and END may share the script with it.
import type { CheckedProbe } from './index';
import type { DiagnosticBag } from '../diagnostics';

export const SINGLE_ITER = 'Only single iter attach point is allowed.';

export function checkSingleIter(probes: CheckedProbe[], diags: DiagnosticBag): void {
  const isIter = (m: CheckedProbe['matches'][number]) => m.provider.name === 'iter';
  const iterLoc = (p: CheckedProbe) => p.ast.attachPoints.find((ap) => /^it(er)?(:|$)/.test(ap.text))?.loc ?? p.ast.attachPoints[0].loc;
  let seen = false;
  for (const p of probes) {
    if (!p.matches.some(isIter)) continue;
    if (p.matches.length > 1) diags.error(SINGLE_ITER, iterLoc(p));
    seen = true;
  }
  if (!seen) return;
  let first = true;
  for (const p of probes) {
    if (p.matches.every((m) => m.provider.special)) continue;
    if (!first) diags.error(SINGLE_ITER, p.matches.some(isIter) ? iterLoc(p) : p.ast.attachPoints[0].loc);
    first = false;
  }
}
