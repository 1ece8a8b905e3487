import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests load real BPF programs; running files in parallel on 2 cores makes
    // attach/detach timing noisy and RCU waits pile up.
    fileParallelism: false,
    testTimeout: 60_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    hookTimeout: 120_000,
  },
});
