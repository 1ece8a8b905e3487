// grammar/ is generated from the parser; this fails when it is out of date.
import { describe, it, expect } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { grammarEbnf, grammarDiagramsHtml } from '../src/parser/grammar';

const dir = path.join(__dirname, '../grammar');

describe('grammar/', () => {
  it('bpftrace.ebnf matches the parser (run `npm run grammar` to update)', () => {
    expect(fs.readFileSync(path.join(dir, 'bpftrace.ebnf'), 'utf8')).toBe(grammarEbnf());
  });
  it('diagrams.html matches the parser (run `npm run grammar` to update)', () => {
    expect(fs.readFileSync(path.join(dir, 'diagrams.html'), 'utf8')).toBe(grammarDiagramsHtml());
  });
});
