// child_process, loaded on first use: it pulls in net, dgram and streams
// (~6 ms of start-up) and most runs start no process (system(), -c, objdump
// for uprobe offsets, c++filt, mount of tracefs do).
import type * as ChildProcess from 'child_process';

export function childProcess(): typeof ChildProcess {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('child_process');
}
