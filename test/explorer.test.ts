// The web explorer end to end: the real server (tstrace explore) and Debian's
// headless Chromium driven by playwright-core. Screenshots go to
// test/artifacts/ (gitignored).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'fs';
import { spawn, spawnSync } from 'child_process';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { startExplorer, ExplorerServer } from '../src/explain/server';

const ARTIFACTS = path.join(__dirname, 'artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let explorer: ExplorerServer;
let context: BrowserContext;
let page: Page;
let profile: string;

/** Types a new script and waits until the page has shown its compilation. */
async function setScript(text: string): Promise<void> {
  const before = await page.evaluate(() => document.body.dataset.ready ?? '0');
  await page.fill('#source', text);
  await page.waitForFunction((b) => document.body.dataset.ready !== b, before);
}

const highlightedSource = () => page.evaluate(() => [...document.querySelectorAll('#view-body .ch.hl')].map((e) => e.textContent).join(''));
const linesWith = (cls: string, stage: string) =>
  page.evaluate(([c, s]) => [...document.querySelectorAll(`#stage-${s} .sl.${c}`)].map((e) => e.textContent), [cls, stage]);

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  explorer = await startExplorer(0);
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: ARGS, viewport: { width: 1600, height: 1000 },
  });
  page = await context.newPage();
  await page.goto(`http://127.0.0.1:${explorer.port}/`);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await explorer?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

const SCRIPT = 'tracepoint:syscalls:sys_enter_openat /pid > 1/ {\n  @opens[comm] = count();\n}\n\ninterval:s:1 { exit(); }\n';

describe('tstrace explore', () => {
  it('shows every stage side by side for the script typed', async () => {
    await setScript(SCRIPT);
    const titles = await page.$$eval('#stages .panel h2', (hs) => hs.map((h) => h.textContent));
    expect(titles).toEqual(['Tokens', 'AST', 'Typed AST', 'LLVM IR', 'LLVM IR after O2', 'BPF instructions', 'Maps', 'Attach plan', 'Verifier']);
    expect(await page.textContent('#stage-asm')).toContain('call bpf_get_current_comm#16');
    expect(await page.textContent('#stage-maps')).toContain('fd_array[0] @opens  BPF_MAP_TYPE_PERCPU_HASH');
    expect(await page.textContent('#stage-attach')).toContain('PERF_TYPE_TRACEPOINT');
    await page.screenshot({ path: path.join(ARTIFACTS, 'explorer.png') });
  });

  it('hovering a BPF instruction highlights the source it came from, and the same range in other stages', async () => {
    await page.hover('#stage-asm .sl:text-matches("call bpf_get_current_comm#16$")');
    expect(await highlightedSource()).toBe('comm');
    expect(await linesWith('hl', 'ast')).toEqual(['          keys[0]: Identifier "comm"  [2:10-14]']);
    expect(await linesWith('hl', 'tokens')).toEqual(['2:10-14    Identifier       "comm"']);
  });

  it('clicking the source highlights what it became in every stage', async () => {
    // `count` of `@opens[comm] = count()`: line 2, column 18.
    await page.click('#view-body .ch[data-l="2"][data-c="19"]');
    expect(await linesWith('pin', 'ast')).toEqual(['        value: Call "count"  [2:18-25]']);
    expect((await linesWith('pin', 'tokens'))).toEqual(['2:18-23    Identifier       "count"']);
    expect(await highlightedSource()).toBe('count()');
    const asm = await linesWith('pin', 'asm');
    expect(asm.length).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'explorer-click.png') });
  });

  it('shows errors inline, under the range they are about', async () => {
    await setScript('BEGIN {\n  @x = $undefined + 1;\n}\n');
    expect(await page.textContent('#view-body .errmsg')).toMatch(/^ERROR: /);
    const squiggled = await page.$$eval('#view-body .ch.err', (es) => es.map((e) => e.textContent).join(''));
    expect(squiggled).toBe('$undefined');
    expect(await page.isDisabled('#run')).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'explorer-error.png') });
  });

  it('as root, verifier rejections show inline while typing (programs are loaded, not attached)', async () => {
    await setScript('BEGIN {\n  $i = 0;\n  while (1) { $i++; }\n}\n');
    expect(await page.textContent('#view-body .errmsg')).toMatch(/^ERROR: the kernel's verifier rejected this program: infinite loop detected at insn 0 .*In plain words: the verifier found a loop it cannot prove ends/);
    const squiggled = await page.$$eval('#view-body .ch.err', (es) => es.map((e) => e.textContent).join(''));
    expect(squiggled).toBe('while (1) { $i++; }');
    expect(await page.textContent('#stage-verifier')).toContain('infinite loop detected at insn 0');
    await page.screenshot({ path: path.join(ARTIFACTS, 'explorer-verifier.png') });
  });

  it('as root, Run streams the output and Stop ends the run (END output and maps arrive)', async () => {
    expect(process.getuid?.()).toBe(0);
    await setScript('BEGIN { printf("hello from the explorer\\n"); }\ninterval:ms:50 { @ticks = count(); }\nEND { printf("bye\\n"); }\n');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelector('#output-body')!.textContent!.includes('hello from the explorer'));
    expect(explorer.activeRuns()).toBe(1);
    await page.click('#stop');
    await page.waitForFunction(() => /exited with/.test(document.querySelector('#status')!.textContent!));
    expect(await page.textContent('#status')).toBe('exited with 0');
    const out = await page.textContent('#output-body');
    expect(out).toMatch(/^Attaching 3 probes\.\.\.\nhello from the explorer\nbye\n\n\n@ticks: \d+\n$/);
    expect(explorer.activeRuns()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'explorer-run.png') });
  });

  it('closing the page during a run stops the tracer', async () => {
    const other = await context.newPage();
    await other.goto(`http://127.0.0.1:${explorer.port}/`);
    await other.waitForFunction(() => document.body.dataset.ready !== undefined);
    const before = await other.evaluate(() => document.body.dataset.ready);
    await other.fill('#source', 'interval:ms:100 { printf("tick\\n"); }\n');
    await other.waitForFunction((b) => document.body.dataset.ready !== b, before);
    await other.click('#run');
    await other.waitForFunction(() => document.querySelector('#output-body')!.textContent!.includes('tick'));
    expect(explorer.activeRuns()).toBe(1);
    await other.close();
    // The server SIGINTs the tracer when the stream's connection closes.
    await expect.poll(() => explorer.activeRuns(), { timeout: 15_000 }).toBe(0);
  });

  it('answers only on 127.0.0.1 and refuses foreign Host headers', async () => {
    expect(explorer.server.address()).toMatchObject({ address: '127.0.0.1' });
    const status = (host: string) => new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: explorer.port, path: '/', headers: { Host: host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(await status('evil.example')).toBe(403);
    expect(await status(`localhost:${explorer.port}`)).toBe(200);
  });
});

describe('tstrace explore (the command)', () => {
  it('serves on the port asked for, prints the address, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, '../bin/tstrace'), 'explore', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
    await expect.poll(() => out, { timeout: 20_000 }).toMatch(/^tstrace explorer on http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C to stop\)\n$/);
    const port = Number(/:(\d+)\//.exec(out)![1]);
    const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(page).toContain('<title>tstrace explorer</title>');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('rejects a bad port with a usage line', () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, '../bin/tstrace'), 'explore', '--port', 'x'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('ERROR: usage: tstrace explore [--port N]\n');
  });
});
