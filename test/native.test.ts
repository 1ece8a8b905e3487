// Native addon tests. They run as root against the real kernel: no mocks.
import { describe, it, expect, beforeAll } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import {
  native,
  forEachRingRecord,
  NATIVE_PATH,
  NATIVE_LLVM_PATH,
  BPF_MAP_TYPE,
  BPF_PROG_TYPE,
  PERF_TYPE,
  type LoadProgramError,
} from '../src/runtime/native';

const TRACEFS = '/sys/kernel/tracing';
const OPENAT_SECTION = 'tracepoint/syscalls/sys_enter_openat';

function ensureTracefs(): void {
  if (!fs.existsSync(`${TRACEFS}/events`)) execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

function progIdOf(fd: number): number {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const m = /prog_id:\s*(\d+)/.exec(info);
  if (!m) throw new Error(`no prog_id in fdinfo of fd ${fd}`);
  return Number(m[1]);
}

function bpftoolProgIds(): number[] {
  const out = execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' });
  return (JSON.parse(out) as { id: number }[]).map((p) => p.id);
}

/** Counts sys_enter_openat per tgid in the hash map fdArray[0] (u32 -> u64). */
const COUNT_OPENAT_IR = `
target triple = "bpf-pc-linux"

declare i64 @llvm.bpf.pseudo(i64, i64)

define i64 @prog(i8* %ctx) {
entry:
  %key = alloca i32, align 4
  %one = alloca i64, align 8
  %pidtgid = call i64 inttoptr (i64 14 to i64 ()*)()
  %hi = lshr i64 %pidtgid, 32
  %tgid = trunc i64 %hi to i32
  store i32 %tgid, i32* %key, align 4
  %kp = bitcast i32* %key to i8*
  %m = call i64 @llvm.bpf.pseudo(i64 5, i64 0)
  %mp = inttoptr i64 %m to i8*
  %v = call i8* inttoptr (i64 1 to i8* (i8*, i8*)*)(i8* %mp, i8* %kp)
  %isnull = icmp eq i8* %v, null
  br i1 %isnull, label %new, label %inc

inc:
  %vp = bitcast i8* %v to i64*
  %old = atomicrmw add i64* %vp, i64 1 seq_cst
  br label %done

new:
  store i64 1, i64* %one, align 8
  %op = bitcast i64* %one to i8*
  %m2 = call i64 @llvm.bpf.pseudo(i64 5, i64 0)
  %mp2 = inttoptr i64 %m2 to i8*
  %r = call i64 inttoptr (i64 2 to i64 (i8*, i8*, i8*, i64)*)(i8* %mp2, i8* %kp, i8* %op, i64 0)
  br label %done

done:
  ret i64 0
}
`;

const RINGBUF_MAGIC = 0x7473747261636521n; // "tstrace!"

/** Raw tracepoint program: ringbuf_output(fdArray[0], {MAGIC, ctx[0]}, 16, 0); returns the helper's result. */
const RINGBUF_IR = `
declare i64 @llvm.bpf.pseudo(i64, i64)

define i64 @rb(i64* %ctx) {
entry:
  %rec = alloca [2 x i64], align 8
  %f0 = getelementptr [2 x i64], [2 x i64]* %rec, i64 0, i64 0
  store i64 ${RINGBUF_MAGIC}, i64* %f0, align 8
  %arg0 = load i64, i64* %ctx, align 8
  %f1 = getelementptr [2 x i64], [2 x i64]* %rec, i64 0, i64 1
  store i64 %arg0, i64* %f1, align 8
  %m = call i64 @llvm.bpf.pseudo(i64 5, i64 0)
  %mp = inttoptr i64 %m to i8*
  %rp = bitcast [2 x i64]* %rec to i8*
  %r = call i64 inttoptr (i64 130 to i64 (i8*, i8*, i64, i64)*)(i8* %mp, i8* %rp, i64 16, i64 0)
  ret i64 %r
}
`;

/** A dynamically sized alloca outside the entry block: BPF backend fatal error. */
const DYNAMIC_ALLOCA_IR = `
define i64 @bad(i64* %ctx) {
entry:
  %n = load i64, i64* %ctx, align 8
  br label %body

body:
  %buf = alloca i8, i64 %n, align 1
  store volatile i8 0, i8* %buf, align 1
  ret i64 0
}
`;

/** A helper call with 6 arguments: BPF backend DS_Error diagnostic ("too many args"). */
const TOO_MANY_ARGS_IR = `
define i64 @bad(i8* %ctx) {
entry:
  %r = call i64 inttoptr (i64 6 to i64 (i64, i64, i64, i64, i64, i64)*)(i64 1, i64 2, i64 3, i64 4, i64 5, i64 6)
  ret i64 %r
}
`;

/** References a global variable: needs a relocation, which emitObject rejects. */
const GLOBAL_REF_IR = `
@counter = global i64 0, align 8

define i64 @uses_global(i8* %ctx) {
entry:
  %v = load volatile i64, i64* @counter, align 8
  ret i64 %v
}
`;

function emitProgram(ir: string, fn: string, section: string): Buffer {
  const { sections } = native.emitObject(ir, { [fn]: section });
  return sections[section];
}

beforeAll(() => {
  ensureTracefs();
});

describe('emitObject', () => {
  it('emits a tracepoint program section without relocations', () => {
    const res = native.emitObject(COUNT_OPENAT_IR, { prog: OPENAT_SECTION });
    expect(res.object.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(res.object.readUInt16LE(18)).toBe(247); // e_machine EM_BPF, little endian
    const code = res.sections[OPENAT_SECTION];
    expect(code).toBeInstanceOf(Buffer);
    expect(code.length).toBeGreaterThan(0);
    expect(code.length % 8).toBe(0);
    // The map reference is an ld_imm64 (opcode 0x18) with src_reg BPF_PSEUDO_MAP_IDX (5), imm 0.
    let mapRefs = 0;
    for (let off = 0; off < code.length; off += 8) {
      if (code[off] === 0x18 && code[off + 1] >> 4 === 5) {
        expect(code.readInt32LE(off + 4)).toBe(0);
        mapRefs++;
      }
    }
    expect(mapRefs).toBeGreaterThan(0);
  });

  it('returns optimised IR on request and accepts optLevel', () => {
    const res = native.emitObject(COUNT_OPENAT_IR, { prog: OPENAT_SECTION }, { emitIr: true, optLevel: 1 });
    expect(res.ir).toMatch(/define i64 @prog/);
    expect(res.ir).toMatch(/section "tracepoint\/syscalls\/sys_enter_openat"/);
  });

  it('turns an LLVM fatal error into a JS exception and keeps working', () => {
    expect(() => native.emitObject(DYNAMIC_ALLOCA_IR, { bad: 'raw_tp/x' })).toThrow(
      /^LLVM error: .*Unsupported dynamic stack allocation/,
    );
    // Twice: the handler must be reinstalled and LLVM still usable.
    expect(() => native.emitObject(DYNAMIC_ALLOCA_IR, { bad: 'raw_tp/x' })).toThrow(/LLVM error/);
    expect(emitProgram(COUNT_OPENAT_IR, 'prog', OPENAT_SECTION).length).toBeGreaterThan(0);
  });

  it('turns backend error diagnostics into a JS exception', () => {
    expect(() => native.emitObject(TOO_MANY_ARGS_IR, { bad: 'raw_tp/x' })).toThrow(/^LLVM error: .*too many args/);
  });

  it('reports IR parse errors with line and column', () => {
    let err: (Error & { line?: number; column?: number }) | undefined;
    try {
      native.emitObject('define i64 @f(i8* %ctx) {\nentry:\n  ret i64 %nope\n}\n', { f: 'raw_tp/x' });
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/^LLVM error: tstrace\.ll:3:\d+: error: use of undefined value '%nope'/);
    expect(err!.line).toBe(3);
    expect(err!.column).toBeGreaterThan(0);
    expect(() => native.emitObject('this is not IR', {})).toThrow(/LLVM error: tstrace\.ll:1:\d+: error/);
  });

  it('rejects invalid modules via the IR verifier', () => {
    const ir = 'define i64 @f(i8* %ctx) {\nentry:\n  %a = add i64 %b, 1\n  %b = add i64 %a, 1\n  ret i64 %a\n}\n';
    expect(() => native.emitObject(ir, { f: 'raw_tp/x' })).toThrow(/LLVM error: invalid module/);
  });

  it('rejects relocations naming section and symbol', () => {
    expect(() => native.emitObject(GLOBAL_REF_IR, { uses_global: 'raw_tp/g' })).toThrow(
      /section 'raw_tp\/g' has a relocation against symbol 'counter'/,
    );
  });

  it('rejects unknown symbols and bad arguments', () => {
    expect(() => native.emitObject(COUNT_OPENAT_IR, { nope: 'x' })).toThrow(/no function or global variable named 'nope'/);
    expect(() => native.emitObject(COUNT_OPENAT_IR, { prog: 42 } as unknown as Record<string, string>)).toThrow(TypeError);
    expect(() => (native.emitObject as unknown as (x: number) => void)(1)).toThrow(TypeError);
  });
});

describe('programs and perf events', () => {
  it('loads, attaches to sys_enter_openat and counts this process exactly', () => {
    const code = emitProgram(COUNT_OPENAT_IR, 'prog', OPENAT_SECTION);
    const mapFd = native.createMap(BPF_MAP_TYPE.HASH, 'test_counts', 4, 8, 1024, 0);
    const { fd: progFd } = native.loadProgram({
      type: BPF_PROG_TYPE.TRACEPOINT,
      name: 'tstrace_test_count_openat', // longer than 15 chars: sanitised and truncated
      insns: code,
      fdArray: [mapFd],
      license: 'GPL',
      logLevel: 0,
    });
    const progId = progIdOf(progFd);
    expect(bpftoolProgIds()).toContain(progId);

    const tpId = Number(fs.readFileSync(`${TRACEFS}/events/syscalls/sys_enter_openat/id`, 'utf8').trim());
    // A single perf event (cpu 0, any pid) is enough: a tracepoint's BPF
    // programs live in a per-event prog array and run on every CPU. Attaching
    // the same program through a second perf event of the same tracepoint
    // gives EEXIST.
    const perfFds: number[] = [];
    try {
      const pfd = native.perfEventOpen({ type: PERF_TYPE.TRACEPOINT, config: tpId }, -1, 0);
      perfFds.push(pfd);
      native.perfEventAttachBpf(pfd, progFd);
      const pfd2 = native.perfEventOpen({ type: PERF_TYPE.TRACEPOINT, config: tpId }, -1, 1 % native.numPossibleCpus());
      perfFds.push(pfd2);
      expect(() => native.perfEventAttachBpf(pfd2, progFd)).toThrow(expect.objectContaining({ code: 'EEXIST' }));

      const file = path.join(os.tmpdir(), `tstrace-native-${process.pid}`);
      fs.writeFileSync(file, 'x');
      native.mapDelete(mapFd, u32(process.pid)); // writeFileSync opened it once
      for (let i = 0; i < 7; i++) fs.closeSync(fs.openSync(file, 'r'));
      for (const pfd of perfFds) native.perfEventDisable(pfd);
      fs.unlinkSync(file);

      const value = native.mapLookup(mapFd, u32(process.pid), 8);
      expect(value).not.toBeNull();
      expect(value!.readBigUInt64LE(0)).toBe(7n);
    } finally {
      for (const pfd of perfFds) native.closeFd(pfd);
      native.closeFd(progFd);
      native.closeFd(mapFd);
    }

    // The program is freed after an RCU grace period.
    const deadline = Date.now() + 10_000;
    while (bpftoolProgIds().includes(progId) && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
    expect(bpftoolProgIds()).not.toContain(progId);
  });

  it('reports verifier rejections with errno and log (retrying with a log at level 0)', () => {
    // r0 = r5 (never initialised); exit
    const insns = Buffer.from([0xbf, 0x50, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    for (const logLevel of [0, 1]) {
      let err: LoadProgramError | undefined;
      try {
        native.loadProgram({ type: BPF_PROG_TYPE.RAW_TRACEPOINT, name: 'bad', insns, fdArray: [], license: 'GPL', logLevel });
      } catch (e) {
        err = e as LoadProgramError;
      }
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(/^failed to load program 'bad': /);
      expect([13, 22]).toContain(err!.errno);
      expect(err!.log).toMatch(/R5 !read_ok/);
    }
  });

  it('rejects an out-of-bounds stack access', () => {
    // *(u64 *)(r10 + 8) = 0; r0 = 0; exit
    const insns = Buffer.from([
      0x7a, 0x0a, 0x08, 0x00, 0, 0, 0, 0, 0xb7, 0x00, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let err: LoadProgramError | undefined;
    try {
      native.loadProgram({ type: BPF_PROG_TYPE.RAW_TRACEPOINT, name: 'oob', insns, fdArray: [], license: 'GPL', logLevel: 0 });
    } catch (e) {
      err = e as LoadProgramError;
    }
    expect([13, 22]).toContain(err!.errno);
    expect(err!.log.length).toBeGreaterThan(0);
    expect(err!.log).toMatch(/invalid .*stack|stack/);
  });

  it('returns the verifier log of a successful load when asked', () => {
    const insns = Buffer.from([0xb7, 0x00, 0, 0, 42, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]); // r0 = 42; exit
    const { fd, log } = native.loadProgram({
      type: BPF_PROG_TYPE.RAW_TRACEPOINT,
      name: 'ok',
      insns,
      fdArray: [],
      license: 'GPL',
      logLevel: 1,
    });
    try {
      expect(log).toMatch(/processed \d+ insns/);
      expect(native.testRun(fd)).toBe(42);
      expect(native.testRun(fd, Buffer.alloc(16), { cpu: 0 })).toBe(42);
    } finally {
      native.closeFd(fd);
    }
  });

  it('throws errno errors from perf_event_open and attach', () => {
    expect(() => native.perfEventOpen({ type: PERF_TYPE.TRACEPOINT, config: 0xfffffff }, -1, 0)).toThrow(
      /perf_event_open/,
    );
    expect(() => native.perfEventAttachBpf(1_000_000, 1_000_001)).toThrow(
      expect.objectContaining({ errno: 9, code: 'EBADF' }),
    );
    expect(() => native.closeFd(1_000_000)).toThrow(expect.objectContaining({ errno: 9 }));
  });
});

describe('maps', () => {
  it('creates maps and reports errors with errno', () => {
    expect(() => native.createMap(BPF_MAP_TYPE.HASH, 'bad', 0, 8, 16, 0)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^failed to create map 'bad': /), errno: 22 }),
    );
  });

  it('does lookup/update/delete/get_next_key on a hash map', () => {
    const fd = native.createMap(BPF_MAP_TYPE.HASH, 'kv', 4, 8, 16, 0);
    try {
      expect(native.mapLookup(fd, u32(1), 8)).toBeNull();
      expect(native.mapGetNextKey(fd, null, 4)).toBeNull();
      native.mapUpdate(fd, u32(1), u64(100), 0);
      native.mapUpdate(fd, u32(2), u64(200), 0);
      expect(() => native.mapUpdate(fd, u32(2), u64(1), 1 /* BPF_NOEXIST */)).toThrow(
        expect.objectContaining({ errno: 17 }),
      );
      expect(native.mapLookup(fd, u32(2), 8)!.readBigUInt64LE(0)).toBe(200n);
      const k1 = native.mapGetNextKey(fd, null, 4)!;
      const k2 = native.mapGetNextKey(fd, k1, 4)!;
      expect(native.mapGetNextKey(fd, k2, 4)).toBeNull();
      expect([k1.readUInt32LE(0), k2.readUInt32LE(0)].sort()).toEqual([1, 2]);
      expect(native.mapDelete(fd, u32(1))).toBe(true);
      expect(native.mapDelete(fd, u32(1))).toBe(false);
      // Wrong sizes are rejected before reaching the kernel.
      expect(() => native.mapLookup(fd, u32(1), 4)).toThrow(RangeError);
      expect(() => native.mapUpdate(fd, u64(1), u64(1), 0)).toThrow(RangeError);
    } finally {
      native.closeFd(fd);
    }
  });

  it('handles per-CPU hash values of round_up(size, 8) * possible CPUs', () => {
    const ncpus = native.numPossibleCpus();
    expect(ncpus).toBeGreaterThan(0);
    const fd = native.createMap(BPF_MAP_TYPE.PERCPU_HASH, 'pcpu', 4, 8, 64, 0);
    try {
      const value = Buffer.alloc(8 * ncpus);
      for (let c = 0; c < ncpus; c++) value.writeBigUInt64LE(BigInt(c + 1), c * 8);
      native.mapUpdate(fd, u32(5), value, 0);
      const got = native.mapLookup(fd, u32(5), 8 * ncpus)!;
      expect(got.length).toBe(8 * ncpus);
      expect(got.equals(value)).toBe(true);
      expect(() => native.mapLookup(fd, u32(5), 8)).toThrow(/per-CPU/);

      for (let k = 0; k < 50; k++) native.mapUpdate(fd, u32(1000 + k), value, 0);
      const dump = native.mapDump(fd, 4, 8 * ncpus, 64);
      expect(dump.count).toBe(51);
      expect(dump.batched).toBe(true);
      expect(dump.values.length).toBe(51 * 8 * ncpus);
      for (let i = 0; i < dump.count; i++) {
        expect(dump.values.subarray(i * 8 * ncpus, (i + 1) * 8 * ncpus).equals(value)).toBe(true);
      }
    } finally {
      native.closeFd(fd);
    }
  });

  it('dumps all keys of a 10000-key hash map', () => {
    const n = 10_000;
    const fd = native.createMap(BPF_MAP_TYPE.HASH, 'big', 4, 8, n, 0);
    try {
      for (let k = 0; k < n; k++) native.mapUpdate(fd, u32(k), u64(k * 3), 0);
      const dump = native.mapDump(fd, 4, 8, n);
      expect(dump.count).toBe(n);
      expect(dump.keys.length).toBe(n * 4);
      expect(dump.values.length).toBe(n * 8);
      const seen = new Set<number>();
      for (let i = 0; i < dump.count; i++) {
        const k = dump.keys.readUInt32LE(i * 4);
        expect(dump.values.readBigUInt64LE(i * 8)).toBe(BigInt(k * 3));
        seen.add(k);
      }
      expect(seen.size).toBe(n);
    } finally {
      native.closeFd(fd);
    }
  });

  it('dumps 100k keys quickly', () => {
    const n = 100_000;
    const fd = native.createMap(BPF_MAP_TYPE.HASH, 'huge', 8, 8, n, 0);
    try {
      const key = Buffer.alloc(8);
      for (let k = 0; k < n; k++) {
        key.writeBigUInt64LE(BigInt(k) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn);
        native.mapUpdate(fd, key, key, 0);
      }
      const t0 = performance.now();
      const dump = native.mapDump(fd, 8, 8, n);
      const ms = performance.now() - t0;
      expect(dump.count).toBe(n);
      expect(dump.keys.equals(dump.values)).toBe(true);
      expect(ms).toBeLessThan(1000);
    } finally {
      native.closeFd(fd);
    }
  });

  it('dumps array and per-CPU array maps, and empty maps', () => {
    const ncpus = native.numPossibleCpus();
    const arr = native.createMap(BPF_MAP_TYPE.ARRAY, 'arr', 4, 4, 100, 0);
    const parr = native.createMap(BPF_MAP_TYPE.PERCPU_ARRAY, 'parr', 4, 4, 10, 0);
    const empty = native.createMap(BPF_MAP_TYPE.HASH, 'empty', 4, 4, 10, 0);
    try {
      native.mapUpdate(arr, u32(7), u32(77), 0);
      const d = native.mapDump(arr, 4, 4, 100);
      expect(d.count).toBe(100);
      expect(d.keys.readUInt32LE(7 * 4)).toBe(7);
      expect(d.values.readUInt32LE(7 * 4)).toBe(77);
      const pd = native.mapDump(parr, 4, 8 * ncpus, 10);
      expect(pd.count).toBe(10);
      expect(pd.values.length).toBe(10 * 8 * ncpus);
      const e = native.mapDump(empty, 4, 4, 10);
      expect(e.count).toBe(0);
      expect(e.keys.length).toBe(0);
    } finally {
      for (const fd of [arr, parr, empty]) native.closeFd(fd);
    }
  });
});

describe('ring buffer', () => {
  function setup() {
    const mapFd = native.createMap(BPF_MAP_TYPE.RINGBUF, 'events', 0, 0, 4096 * 16, 0);
    const code = emitProgram(RINGBUF_IR, 'rb', 'raw_tp/rb');
    const { fd: progFd } = native.loadProgram({
      type: BPF_PROG_TYPE.RAW_TRACEPOINT,
      name: 'ringbuf_test',
      insns: code,
      fdArray: [mapFd],
      license: 'GPL',
      logLevel: 0,
    });
    const run = (arg: number) => expect(native.testRun(progFd, u64(arg))).toBe(0);
    return { mapFd, progFd, run };
  }

  function parse(batches: Buffer[]): bigint[] {
    const args: bigint[] = [];
    for (const b of batches) {
      expect(b.length % 8).toBe(0);
      forEachRingRecord(b, (rec) => {
        expect(rec.length).toBe(16);
        expect(rec.readBigUInt64LE(0)).toBe(RINGBUF_MAGIC);
        args.push(rec.readBigUInt64LE(8));
      });
    }
    return args;
  }

  it('delivers records through the event loop and drains synchronously', async () => {
    const { mapFd, progFd, run } = setup();
    const batches: Buffer[] = [];
    let wake: (() => void) | undefined;
    let records = 0;
    const handle = native.ringbufOpen(mapFd, (batch) => {
      batches.push(batch);
      forEachRingRecord(batch, () => records++);
      if (records >= 3) wake?.();
    });
    try {
      const got = new Promise<void>((resolve) => (wake = resolve));
      run(0);
      run(1);
      run(2);
      await got;
      expect(parse(batches)).toEqual([0n, 1n, 2n]);

      // Synchronous drain: records produced just now are delivered before
      // ringbufConsume returns, without waiting for the loop.
      batches.length = 0;
      run(10);
      run(11);
      expect(native.ringbufConsume(handle)).toBe(2);
      expect(batches.length).toBe(1);
      expect(parse(batches)).toEqual([10n, 11n]);
      expect(native.ringbufConsume(handle)).toBe(0);

      // An exception from onData propagates out of ringbufConsume.
      const h2 = native.ringbufOpen(mapFd, () => {
        throw new Error('boom');
      });
      run(20);
      expect(() => native.ringbufConsume(h2)).toThrow('boom');
      native.ringbufClose(h2);
      native.ringbufClose(h2); // idempotent
      expect(() => native.ringbufConsume(h2)).toThrow(/invalid or closed/);
    } finally {
      native.ringbufClose(handle);
      native.closeFd(progFd);
      native.closeFd(mapFd);
    }
  });

  it('stops keeping the event loop alive once closed', () => {
    // A child process: it must deliver a record via the loop, close, and exit by itself.
    const script = `
      const n = require(${JSON.stringify(NATIVE_PATH)});
      const llvm = require(${JSON.stringify(NATIVE_LLVM_PATH)});
      const ir = ${JSON.stringify(RINGBUF_IR)};
      const code = llvm.emitObject(ir, { rb: 'raw_tp/rb' }).sections['raw_tp/rb'];
      const map = n.createMap(27, 'events', 0, 0, 4096, 0);
      const { fd } = n.loadProgram({ type: 17, name: 'rb', insns: code, fdArray: [map], license: 'GPL', logLevel: 0 });
      const h = n.ringbufOpen(map, (b) => { console.log('batch', b.length); n.ringbufClose(h); });
      n.testRun(fd, Buffer.alloc(8));
    `;
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(res.error).toBeUndefined();
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('batch 24');
    expect(res.status).toBe(0);
  });

  it('rejects non-ringbuf maps', () => {
    const fd = native.createMap(BPF_MAP_TYPE.HASH, 'notrb', 4, 4, 4, 0);
    try {
      expect(() => native.ringbufOpen(fd, () => {})).toThrow(/failed to open ring buffer/);
    } finally {
      native.closeFd(fd);
    }
  });
});

describe('misc', () => {
  it('reports the libbpf version', () => {
    expect(native.libbpfVersion()).toMatch(/^v\d+\.\d+/);
  });
});
