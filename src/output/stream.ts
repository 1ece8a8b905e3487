// Program output (stdout or the -o file) with bpftrace's -B buffering modes.
// Text is a byte string (latin1), as everywhere in src/output.
import * as fs from 'fs';

export type BufferMode = 'none' | 'line' | 'full';

export const BUFFER_MODES: readonly BufferMode[] = ['none', 'line', 'full'];

const WAIT_CELL = new Int32Array(new SharedArrayBuffer(4));

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
 * A reader that went away (`| head`) ends the run quietly, as SIGPIPE would;
 * the kernel releases every probe and map with the process.
 */
export function createOutputStream(fd: number, mode: BufferMode): OutputStream {
  let pending = '';
  const put = (text: string) => {
    if (!text) return;
    const bytes = Buffer.from(text, 'latin1');
    // An fd inherited in non-blocking mode writes partially or fails with
    // EAGAIN when the reader is slow: finish the write, waiting for room.
    for (let at = 0; at < bytes.length; ) {
      try {
        at += fs.writeSync(fd, bytes, at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // The reader went away (`| head`: EPIPE; a hung-up terminal: EIO).
        if (code === 'EPIPE' || code === 'EIO') process.exit(0);
        if (code !== 'EAGAIN') throw e;
        Atomics.wait(WAIT_CELL, 0, 0, 5);
      }
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
