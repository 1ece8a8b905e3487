// The nearest probe this machine can run in place of a kernel-function probe
// (kprobe, kretprobe, fentry, fexit) that its kernel can't: the tracepoint of
// the function's system call (vfs_read → tracepoint:syscalls:sys_enter_read,
// sys_exit_read for a return probe), else a tracepoint of the same name in
// any category (kfree_skb → tracepoint:skb:kfree_skb), else a general hint.
// Asked of tracefs, so it only names probes that exist here.
import { eventExists, listCategories, listEvents } from './tracefs';

// Kernel prefixes around a system call's implementation, longest first.
const SYSCALL_PREFIXES = ['__x64_sys_', '__ia32_sys_', '__do_sys_', '__se_sys_', 'ksys_', 'do_sys_', 'sys_', 'vfs_', 'do_', '__', ''];

export function kernelFunctionAlternative(func: string, ret: boolean): string {
  try {
    for (const prefix of SYSCALL_PREFIXES) {
      if (!func.startsWith(prefix) || func.length === prefix.length) continue;
      const event = `sys_${ret ? 'exit' : 'enter'}_${func.slice(prefix.length)}`;
      if (eventExists('syscalls', event)) return `tracepoint:syscalls:${event}`;
    }
    for (const category of listCategories().sort()) {
      if (listEvents(category).includes(func)) return `tracepoint:${category}:${func}`;
    }
  } catch {
    // tracefs unreadable: only the general hint
  }
  return 'a tracepoint such as tracepoint:syscalls:sys_enter_*';
}
