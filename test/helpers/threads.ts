// A workload both HEAD-function test files use: once released (a byte on
// stdin), the main thread calls getpid, then a worker thread named
// `threadName` does. Returns the built binary's path; its base name is a
// unique comm (`uniqueComm(prefix)`).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir, uniqueComm } from './run';

export function buildNamedThreadWorkload(prefix: string, threadName: string): string {
  const bin = path.join(tempDir(), uniqueComm(prefix));
  fs.writeFileSync(`${bin}.c`, `
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
static void *worker(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "${threadName}");
  syscall(SYS_getpid);
  return NULL;
}
int main(void) {
  char c;
  pthread_t t;
  printf("ready\\n");
  fflush(stdout);
  if (read(0, &c, 1) != 1) return 3;
  syscall(SYS_getpid);
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, NULL);
  return 0;
}
`);
  execFileSync('cc', ['-O2', '-pthread', '-o', bin, `${bin}.c`], { stdio: 'pipe' });
  return bin;
}
