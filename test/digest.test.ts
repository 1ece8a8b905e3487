// The caches' SHA-256 (native addon, OpenSSL inside node) is Node's crypto SHA-256.
import { describe, it, expect } from 'vitest';
import { createHash } from 'crypto';
import { sha256Hex } from '../src/runtime/native';

describe('sha256Hex', () => {
  it('equals crypto\'s for strings (UTF-8) and buffers', () => {
    const inputs: (string | Buffer)[] = ['', 'abc', 'é ∑ 😀', 'x'.repeat(1 << 20), Buffer.from([0, 1, 2, 255]), Buffer.alloc(0)];
    for (const v of inputs) expect(sha256Hex(v)).toBe(createHash('sha256').update(v).digest('hex'));
  });
});
