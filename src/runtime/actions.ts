// What system() and cat() do with their formatted text, in user space when
// the event is consumed (bpftrace runs both synchronously, blocking further
// event processing). Text is a byte string (src/output/value.ts).
import { childProcess } from '../subprocess';
import * as fs from 'fs';
import { jsonMessage } from '../output/json';

/** bpftrace's max_cat_bytes. */
const MAX_CAT_BYTES = 10240;

/** The output of system(cmd): the command's stdout, run by /bin/sh (stderr passes through). */
export function runSystem(command: string, format: 'text' | 'json'): string {
  let out: string;
  try {
    out = childProcess().execSync(Buffer.from(command, 'latin1').toString(), { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'latin1', maxBuffer: 64 << 20 });
  } catch (e) {
    // A non-zero exit status still prints what the command wrote.
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  // JSON: one record per call, even for a command that printed nothing (as bpftrace).
  return format === 'json' ? jsonMessage('syscall', out) + '\n' : out;
}

/**
 * The output of cat(path): up to MAX_CAT_BYTES of the file. An unreadable
 * file is an error on stderr (and, in JSON, an empty record, as bpftrace).
 */
export function runCat(path: string, format: 'text' | 'json'): string {
  let data = '';
  try {
    const fd = fs.openSync(Buffer.from(path, 'latin1'), 'r');
    try {
      const buf = Buffer.alloc(MAX_CAT_BYTES);
      let n = 0;
      for (let r = 1; r > 0 && n < MAX_CAT_BYTES; n += r) r = fs.readSync(fd, buf, n, MAX_CAT_BYTES - n, null);
      data = buf.toString('latin1', 0, n);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`ERROR: failed to open file '${path}': ${errnoText(err)}\n`);
  }
  return format === 'json' ? jsonMessage('cat', data) + '\n' : data;
}

function errnoText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': return 'Permission denied';
    case 'EISDIR': return 'Is a directory';
    case 'ENOTDIR': return 'Not a directory';
    default: return err.message;
  }
}
