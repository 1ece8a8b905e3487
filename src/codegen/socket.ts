// socket_cookie(sk): bpf_get_socket_cookie(sk) (the tracing variant takes the BTF socket pointer).
import type { CallExpr } from '../ast/nodes';
import { Helper } from './helpers';
import type { CgValue, ProbeCodegen } from './irgen';

export const SOCKET_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  socket_cookie: (g, e) => ({ kind: 'int', v: g.helper(Helper.get_socket_cookie, g.i64, [g.b.CreateIntToPtr(g.intValue(e.args[0]), g.i8p)]) }),
};
