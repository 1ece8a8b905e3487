// The compile cache: hits skip compilation, corrupt entries are ignored,
// and every input that changes the program changes the key.
import { describe, it, expect, beforeAll } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-cache-'));
process.env.TSTRACE_CACHE_DIR = dir;

import { compileSource } from '../src/compiler';
import { cacheKey } from '../src/cache';

const script = 'BEGIN { @x = count(); printf("%d\\n", 5); exit(); }';

describe('compile cache', () => {
  beforeAll(() => {
    for (const f of fs.readdirSync(dir)) fs.unlinkSync(path.join(dir, f));
  });

  it('a second compile of the same script is a hit with the same plan', () => {
    const first = compileSource(script, { cache: true });
    expect(first.cacheHit).toBeFalsy();
    const second = compileSource(script, { cache: true });
    expect(second.cacheHit).toBe(true);
    expect(second.ir).toBeUndefined();
    expect(JSON.stringify(second.plan)).toBe(JSON.stringify(first.plan));
  });

  it('ignores a corrupt entry and rewrites it', () => {
    compileSource(script, { cache: true });
    const [file] = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    fs.writeFileSync(path.join(dir, file), text.replace('"maps"', '"mapz"'));
    const again = compileSource(script, { cache: true });
    expect(again.cacheHit).toBeFalsy();
    expect(compileSource(script, { cache: true }).cacheHit).toBe(true);
  });

  it('keys on source, parameters and options', () => {
    const base = { source: script, file: 'stdin', params: [] as string[], strlen: undefined, mapKeysMax: undefined };
    const k = cacheKey(base);
    expect(cacheKey({ ...base })).toBe(k);
    expect(cacheKey({ ...base, source: script + ' ' })).not.toBe(k);
    expect(cacheKey({ ...base, params: ['1'] })).not.toBe(k);
    expect(cacheKey({ ...base, mapKeysMax: 10 })).not.toBe(k);
    expect(cacheKey({ ...base, file: 'x.bt' })).not.toBe(k);
  });
});
