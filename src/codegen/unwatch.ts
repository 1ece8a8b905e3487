// unwatch(addr): an event carrying the address; user space closes the watchpoint's perf events.
import type { CallExpr } from '../ast/nodes';
import { INT64 } from '../checker/types';
import type { CgValue, ProbeCodegen } from './irgen';
import { EVENT_UNWATCH } from './plan';

export const UNWATCH_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  unwatch(g, e) {
    g.emitEvent(EVENT_UNWATCH, [{ v: { kind: 'int', v: g.intValue(e.args[0]) }, t: INT64 }]);
    return undefined;
  },
};
