// Program output (stdout or the -o file) with bpftrace's -B buffering modes.
// Text is a byte string (latin1), as everywhere in src/output.
import * as fs from 'fs';

export type BufferMode = 'none' | 'line' | 'full';

export const BUFFER_MODES: readonly BufferMode[] = ['none', 'line', 'full'];

/** stdio's BUFSIZ: the size a fully buffered stream writes in. */
const FULL_BUFFER_BYTES = 8192;

export interface OutputStream {
  write(text: string): void;
  /** Writes whatever is held back (end of run, or before exiting on an error). */
  flush(): void;
}

/**
 * `none` writes every piece at once, `line` holds back a trailing partial
 * line until its newline, `full` writes in BUFSIZ chunks (and at flush).
 * A reader that went away (`| head`) ends the run quietly, as SIGPIPE would.
 */
export function createOutputStream(fd: number, mode: BufferMode): OutputStream {
  let pending = '';
  const put = (text: string) => {
    if (!text) return;
    try {
      fs.writeSync(fd, text, null, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
      throw e;
    }
  };
  return {
    write(text) {
      if (mode === 'none') return put(text);
      pending += text;
      if (mode === 'line') {
        const end = pending.lastIndexOf('\n') + 1;
        if (end > 0) {
          put(pending.slice(0, end));
          pending = pending.slice(end);
        }
        return;
      }
      if (pending.length >= FULL_BUFFER_BYTES) {
        const end = pending.length - (pending.length % FULL_BUFFER_BYTES);
        put(pending.slice(0, end));
        pending = pending.slice(end);
      }
    },
    flush() {
      const text = pending;
      pending = '';
      put(text);
    },
  };
}
