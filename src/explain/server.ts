// `tstrace explore [--port N]`: a local web page where a learner types a
// script and sees every compiler stage side by side, linked to the source;
// as root, a Run button streams the script's output.
//
// Served on 127.0.0.1 only, with node's http module. Endpoints:
//   GET  /              the page (page.ts)
//   POST /api/explain   {source} → {stages, diagnostics, canRun}
//   POST /api/run       {source} → text/event-stream of {type: 'start'|'stdout'|'stderr'|'exit', …}
//   POST /api/stop      {id}     → SIGINT to that run (END probes run, maps print, the stream ends)
import * as http from 'http';
import * as path from 'path';
import { spawn, ChildProcess } from 'child_process';
import { explain } from './index';
import { formatDiagnostic } from '../diagnostics';
import { PAGE } from './page';

const TSTRACE_BIN = path.resolve(__dirname, '../../bin/tstrace');
/** A run whose page went away gets this long after SIGINT before SIGKILL. */
const KILL_GRACE_MS = 5000;
const MAX_BODY = 1 << 20;

export interface ExplorerServer {
  server: http.Server;
  port: number;
  /** Runs still alive (their tracer processes not yet reaped). */
  activeRuns(): number;
  close(): Promise<void>;
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) reject(new Error('request too large'));
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(body || '{}'));
      } catch {
        reject(new Error('invalid JSON'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

export function explainJson(source: string): object {
  // As root the programs are also loaded (not attached), so verifier rejections show while typing.
  const x = explain(source, { file: 'script.bt', verify: process.getuid?.() === 0 });
  return {
    stages: x.stages,
    diagnostics: x.diagnostics.map((d) => ({ ...d, formatted: formatDiagnostic(d, source) })),
    canRun: process.getuid?.() === 0,
  };
}

export function startExplorer(port = 8080, host = '127.0.0.1'): Promise<ExplorerServer> {
  const runs = new Map<number, ChildProcess>();
  let nextRun = 1;

  const stopRun = (child: ChildProcess, hard: boolean) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    if (hard) setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
  };

  const run = (source: string, req: http.IncomingMessage, res: http.ServerResponse) => {
    if (process.getuid?.() !== 0) return send(res, 403, 'text/plain', 'running scripts needs root\n');
    const id = nextRun++;
    const child = spawn(process.execPath, [TSTRACE_BIN, '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
    runs.set(id, child);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const event = (data: object) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    event({ type: 'start', id });
    child.stdout!.setEncoding('latin1').on('data', (text: string) => event({ type: 'stdout', text }));
    child.stderr!.setEncoding('latin1').on('data', (text: string) => event({ type: 'stderr', text }));
    child.on('close', (code, signal) => {
      runs.delete(id);
      event({ type: 'exit', code, signal });
      res.end();
    });
    // The page closed or navigated away: stop the tracer, and make sure it goes.
    res.on('close', () => stopRun(child, true));
    req.on('error', () => stopRun(child, true));
  };

  const server = http.createServer(async (req, res) => {
    // Only this machine's browser, by name: refuse other Host headers (DNS rebinding).
    const hostHeader = (req.headers.host ?? '').replace(/:[0-9]+$/, '');
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostHeader)) return send(res, 403, 'text/plain', 'forbidden host\n');
    try {
      if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) return send(res, 200, 'text/html; charset=utf-8', PAGE);
      if (req.method === 'POST' && req.url === '/api/explain') {
        const body = await readJson(req);
        return send(res, 200, 'application/json', JSON.stringify(explainJson(String(body.source ?? ''))));
      }
      if (req.method === 'POST' && req.url === '/api/run') return run(String((await readJson(req)).source ?? ''), req, res);
      if (req.method === 'POST' && req.url === '/api/stop') {
        const child = runs.get(Number((await readJson(req)).id));
        if (child) stopRun(child, true);
        return send(res, 200, 'application/json', JSON.stringify({ stopped: !!child }));
      }
      send(res, 404, 'text/plain', 'not found\n');
    } catch (e) {
      // Bad requests and internal compiler errors alike: one line for the page, never a crash of the server.
      if (!res.headersSent) send(res, 400, 'text/plain', `${(e as Error).message}\n`);
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({
        server,
        port: actual,
        activeRuns: () => runs.size,
        close: () => new Promise<void>((done) => {
          for (const child of runs.values()) stopRun(child, true);
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

/** `tstrace explore [--port N]`: serve until SIGINT/SIGTERM, then stop every run. */
export async function exploreCommand(args: string[]): Promise<number> {
  let port = 8080;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = a === '--port' || a === '-p' ? args[++i] : a.startsWith('--port=') ? a.slice(7) : undefined;
    if (value === undefined || !/^[0-9]+$/.test(value) || Number(value) > 65535) {
      process.stderr.write(`ERROR: usage: tstrace explore [--port N]\n`);
      return 1;
    }
    port = Number(value);
  }
  let explorer: ExplorerServer;
  try {
    explorer = await startExplorer(port);
  } catch (e) {
    process.stderr.write(`ERROR: cannot listen on 127.0.0.1:${port}: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`tstrace explorer on http://127.0.0.1:${explorer.port}/ (Ctrl-C to stop)\n`);
  return new Promise((resolve) => {
    const stop = () => explorer.close().then(() => resolve(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
