// Running an iter probe (src/probes/iter.ts): where other probes wait for
// events, an iterator is read once to its end, as bpftrace's run_iter()
// does. Each read(2) runs the program over the next objects; what it printed
// through the ring buffer is drained after every read, then the iterator's
// own seq_file text (if any) is written. With a pin the link is pinned in the
// bpffs instead (it stays in the kernel: that is what the user asked for).
import * as fs from 'fs';
import { native } from './native';

export interface IteratorIo {
  write: (text: string) => void;
  /** Consumes the ring buffer now (printf output of the runs so far). */
  drain: () => void;
  /** exit() ran or a signal came: stop reading. */
  stopped: () => boolean;
}

export async function runIterator(linkFd: number, pin: string | undefined, io: IteratorIo): Promise<void> {
  if (pin !== undefined) {
    native.objPin(linkFd, pin);
    io.write(`Program pinned to ${pin}\n`);
    return;
  }
  const iterFd = native.iterCreate(linkFd);
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      // Between reads the event loop runs: Ctrl-C/SIGTERM stop a long iterator (ksym walks every symbol).
      await new Promise((resolve) => setImmediate(resolve));
      let n: number;
      try {
        n = fs.readSync(iterFd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EINTR' || (e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      io.drain();
      if (n > 0) io.write(buf.toString('latin1', 0, n));
      if (n === 0 || io.stopped()) return;
    }
  } finally {
    native.closeFd(iterFd);
  }
}
