// Noticing that a process we did not start (-p PID) has exited. There is no
// exit notification for a non-child short of pidfd; bpftrace polls too (it
// checks between ring-buffer polls). A zombie counts as exited.
import * as fs from 'fs';

const POLL_MS = 100;

export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // pid (comm) STATE …: comm may hold spaces and parentheses, the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Calls `onExit` once `pid` has exited; returns a function that stops watching. */
export function watchProcessExit(pid: number, onExit: () => void): () => void {
  const timer = setInterval(() => {
    if (!processAlive(pid)) {
      clearInterval(timer);
      onExit();
    }
  }, POLL_MS);
  return () => clearInterval(timer);
}
