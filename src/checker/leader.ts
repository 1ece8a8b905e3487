// `leader_comm` and `leader_tid` (HEAD): the thread-group leader's name and
// thread id, read through `curtask->group_leader` (or a given task's), so a
// named worker thread still reports its process's main thread.
import { NONE, int } from './types';
import type { Rule } from './callargs';
import { throughTask } from './task';

export const LEADER_RULES: Record<string, Rule> = {
  leader_comm: (e, scope, ctx) => throughTask(e, scope, ctx, ['group_leader', 'comm']),

  /** uint32, as HEAD types thread ids. */
  leader_tid(e, scope, ctx) {
    const t = throughTask(e, scope, ctx, ['group_leader', 'pid']);
    return t.kind === 'none' ? NONE : int(32, false);
  },
};
