// socket_cookie(sk) (HEAD 0.23+): the socket's kernel-generated cookie
// (bpf_get_socket_cookie on a BTF `struct sock *`, so only in fentry/fexit
// programs, where arguments are BTF pointers); 0 for a NULL socket.
// Lowering: src/codegen/socket.ts.
import { argTypes, arity, checkTrampolineOnly, printfTypeName, Rule } from './callargs';
import { NONE, UINT64 } from './types';

export const SOCKET_RULES: Record<string, Rule> = {
  socket_cookie(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!checkTrampolineOnly(e, scope, ctx)) return NONE;
    if (!arity(e, ctx, 1)) return NONE;
    const t = types[0];
    if (t.kind !== 'none' && (t.kind !== 'pointer' || t.to.kind !== 'struct' || t.to.name !== 'struct sock')) {
      ctx.checker.error(`socket_cookie() expects a struct sock * (${printfTypeName(t)} provided)`, e.loc);
      return NONE;
    }
    return UINT64;
  },
};
