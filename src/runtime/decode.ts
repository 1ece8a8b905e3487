// Bytes written by BPF programs (event records, map keys and values) → the
// output module's Value model. Layouts mirror src/checker/types storageSize.
import * as fs from 'fs';
import type { Type } from '../checker/types';
import { storageSize, tupleOffsets, aggValueSize, align8, memorySize } from '../checker/types';
import type { AggValue, MapEntry, MapSnapshot, Value } from '../output/value';
import type { MapColumns } from '../output/columns';
import type { MapPlan } from '../codegen/plan';
import { keyLayout, histKeyTypes } from '../codegen/plan';
import { kernelFrame, ksymName, userFrame, usymName } from './symbols';
import { strftime } from '../output/strftime';
import { native } from './native';
import { strerrorText } from '../output/errno';
import { signalNameText, syscallNameText } from '../output/names';
import { formatInet, formatMacAddress } from '../output/inet';
import { cgroupPathText } from './cgroup';

let bootOffset: bigint | undefined;
/** CLOCK_REALTIME - CLOCK_BOOTTIME, measured once: turns nsecs into wall time. */
function bootToRealtimeNs(): bigint {
  if (bootOffset === undefined) bootOffset = BigInt(Date.now()) * 1_000_000n - native.boottimeNs();
  return bootOffset;
}

export interface DecodeContext {
  probeNames: string[];
  /** Instruction pointers of a kstack (user=false) or ustack id, innermost first. */
  stackFrames?: (user: boolean, limit: number, id: number) => bigint[];
}

let usernames: Map<bigint, string> | undefined;
function username(uid: bigint): string {
  if (!usernames) {
    usernames = new Map();
    try {
      for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2) usernames.set(BigInt(f[2]), f[0]);
      }
    } catch {
      // No passwd file: fall back to numbers.
    }
  }
  return usernames.get(uid) ?? String(uid);
}

function cString(buf: Buffer, offset: number, size: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end < 0 || end > offset + size ? offset + size : end);
}

/**
 * A value in C memory layout (arrays, records and their members, as read
 * from kernel or user memory): integers at their own width, pointers as
 * plain numbers (bpftrace prints them in decimal inside records).
 */
function decodeMemory(buf: Buffer, offset: number, t: Type, ctx: DecodeContext): Value {
  switch (t.kind) {
    case 'int': {
      const bytes = t.bits / 8;
      let raw = 0n;
      for (let i = bytes - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(buf[offset + i]);
      return { kind: 'int', value: t.signed ? BigInt.asIntN(t.bits, raw) : raw, signed: t.signed, bits: t.bits };
    }
    case 'pointer':
      return { kind: 'int', value: buf.readBigUInt64LE(offset), signed: false, bits: 64 };
    case 'string':
      return { kind: 'string', value: cString(buf, offset, t.size) };
    case 'array': {
      const stride = memorySize(t.elem);
      const elems: Value[] = [];
      for (let i = 0; i < t.length; i++) elems.push(decodeMemory(buf, offset + i * stride, t.elem, ctx));
      return { kind: 'array', elems };
    }
    case 'struct': {
      if (t.lazy || t.fields.length === 0) return { kind: 'buffer', bytes: buf.subarray(offset, offset + t.size) };
      const fields = t.fields.filter((f) => f.name).map((f) => {
        if (!f.bitfield) return { name: f.name, value: decodeMemory(buf, offset + f.offset, f.type, ctx) };
        let raw = 0n;
        const bytes = Math.ceil((f.bitfield.shift + f.bitfield.bits) / 8);
        for (let i = bytes - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(buf[offset + f.offset + i]);
        let v = (raw >> BigInt(f.bitfield.shift)) & ((1n << BigInt(f.bitfield.bits)) - 1n);
        const signed = f.type.kind === 'int' && f.type.signed;
        if (signed) v = BigInt.asIntN(f.bitfield.bits, v);
        return { name: f.name, value: { kind: 'int', value: v, signed, bits: 64 } as Value };
      });
      return { kind: 'record', fields };
    }
    default:
      return decodeValue(buf, offset, t, ctx);
  }
}

export function decodeValue(buf: Buffer, offset: number, t: Type, ctx: DecodeContext): Value {
  switch (t.kind) {
    case 'int': {
      const raw = buf.readBigUInt64LE(offset);
      return { kind: 'int', value: t.signed ? BigInt.asIntN(64, raw) : raw, signed: t.signed, bits: t.bits };
    }
    case 'bool':
      return { kind: 'int', value: buf.readBigUInt64LE(offset), signed: false, bits: 64 };
    case 'pointer':
      return { kind: 'int', value: buf.readBigUInt64LE(offset), signed: false, bits: 64, pointer: true };
    case 'string':
      return { kind: 'string', value: cString(buf, offset, t.size) };
    case 'tuple': {
      const offsets = tupleOffsets(t);
      return { kind: 'tuple', elems: t.elems.map((e, i) => decodeValue(buf, offset + offsets[i], e, ctx)) };
    }
    case 'text': {
      const n = buf.readBigUInt64LE(offset);
      const value = t.what === 'probe' ? ctx.probeNames[Number(n)] ?? String(n)
        : t.what === 'ksym' ? ksymName(n)
          : t.what === 'usym' ? usymName(Number(n >> 47n), n & ((1n << 47n) - 1n))
          : t.what === 'timestamp' ? strftime(t.format ?? '', n + bootToRealtimeNs())
            : t.what === 'strerror' ? strerrorText(n)
            : t.what === 'signal_name' ? signalNameText(n)
            : t.what === 'syscall_name' ? syscallNameText(n)
              : t.what === 'macaddr' ? formatMacAddress(buf.subarray(offset, offset + 6))
                : t.what === 'cgroup_path' ? cgroupPathText(n, t.format)
                  : username(n);
      return { kind: 'text', value, quoteInJson: true };
    }
    case 'stack': {
      const raw = buf.readBigUInt64LE(offset);
      const id = t.user ? BigInt.asIntN(32, raw & 0xffffffffn) : BigInt.asIntN(64, raw);
      const pid = Number(raw >> 32n);
      const ips = id < 0n || !ctx.stackFrames ? [] : ctx.stackFrames(t.user, t.limit, Number(id));
      const perf = t.mode === 'perf';
      // raw (HEAD): the addresses in hex, unsymbolised.
      const frames = ips.map((ip) => (t.mode === 'raw' ? ip.toString(16) : t.user ? userFrame(pid, ip, perf) : perf ? `${ip.toString(16)} ${kernelFrame(ip)}` : kernelFrame(ip)));
      return { kind: 'stack', frames, mode: t.mode };
    }
    case 'buffer': {
      const len = Math.min(Number(buf.readBigUInt64LE(offset)), t.size);
      return { kind: 'buffer', bytes: buf.subarray(offset + 8, offset + 8 + len) };
    }
    case 'inet': {
      const family = Number(buf.readBigUInt64LE(offset));
      return { kind: 'text', value: formatInet(family, buf.subarray(offset + 8, offset + 24)), quoteInJson: true };
    }
    case 'array':
    case 'struct':
      return decodeMemory(buf, offset, t, ctx);
    case 'agg':
    case 'none':
      return { kind: 'int', value: 0n, signed: true, bits: 64 };
  }
}

/** Combines the per-CPU slots of one aggregation value. */
function combineAgg(t: Extract<Type, { kind: 'agg' }>, values: Buffer, offset: number, numCpus: number): AggValue | undefined {
  const stride = align8(aggValueSize(t.agg));
  const read = (cpu: number, word: number) => {
    const raw = values.readBigUInt64LE(offset + cpu * stride + word * 8);
    return t.signed ? BigInt.asIntN(64, raw) : raw;
  };
  switch (t.agg) {
    case 'count': {
      let n = 0n;
      for (let c = 0; c < numCpus; c++) n += values.readBigUInt64LE(offset + c * stride);
      return { kind: 'count', value: BigInt.asUintN(64, n) };
    }
    case 'sum': {
      let n = 0n;
      for (let c = 0; c < numCpus; c++) n += read(c, 0);
      return { kind: 'sum', value: t.signed ? BigInt.asIntN(64, n) : BigInt.asUintN(64, n), signed: t.signed };
    }
    case 'min': case 'max': {
      let best: bigint | undefined;
      for (let c = 0; c < numCpus; c++) {
        if (values.readBigUInt64LE(offset + c * stride + 8) === 0n) continue;
        const v = read(c, 0);
        if (best === undefined || (t.agg === 'min' ? v < best : v > best)) best = v;
      }
      return best === undefined ? undefined : { kind: t.agg, value: best, signed: t.signed };
    }
    case 'avg': case 'stats': {
      let count = 0n;
      let total = 0n;
      for (let c = 0; c < numCpus; c++) {
        count += values.readBigUInt64LE(offset + c * stride);
        total += read(c, 1);
      }
      return { kind: t.agg, count, total: t.signed ? BigInt.asIntN(64, total) : BigInt.asUintN(64, total), signed: t.signed };
    }
    default:
      return undefined;
  }
}

/** Raw dump of a map (as native.mapDump returns it) → a snapshot for printing. */
export function snapshotMap(
  plan: MapPlan, dump: { keys: Buffer; values: Buffer; count: number }, numCpus: number, ctx: DecodeContext,
): MapSnapshot {
  const valueType = plan.valueType!;
  if (valueType.kind === 'agg' && (valueType.agg === 'hist' || valueType.agg === 'lhist')) return snapshotHist(plan, valueType, dump, numCpus, ctx);
  const valueBytes = plan.percpu ? align8(plan.valueSize) * numCpus : plan.valueSize;
  const layout = keyLayout(plan.keyTypes);
  const entries: MapEntry[] = [];
  for (let i = 0; i < dump.count; i++) {
    const keyOffset = i * plan.keySize;
    // bpftrace 0.17 prints integer key parts as signed decimals (and sorts them unsigned).
    const key = plan.keyTypes.map((t, k) => decodeValue(dump.keys, keyOffset + layout.offsets[k], t.kind === 'int' ? { ...t, signed: true } : t, ctx));
    const valueOffset = i * valueBytes;
    let value: AggValue | undefined;
    if (valueType.kind === 'agg') value = combineAgg(valueType, dump.values, valueOffset, numCpus);
    else value = { kind: 'value', value: decodeValue(dump.values, valueOffset, valueType, ctx) };
    if (value) entries.push({ key, value });
  }
  const valueKind: AggValue['kind'] = valueType.kind === 'agg' ? valueType.agg : 'value';
  return { name: plan.name, keyed: plan.keyTypes.length > 0, valueKind, entries };
}

/** hist/lhist maps hold one per-CPU count per (keys, bucket): regroup them by keys. */
function snapshotHist(
  plan: MapPlan, valueType: Extract<Type, { kind: 'agg' }>, dump: { keys: Buffer; values: Buffer; count: number }, numCpus: number, ctx: DecodeContext,
): MapSnapshot {
  const layout = keyLayout(histKeyTypes(plan.keyTypes));
  const bucketOffset = layout.offsets[layout.offsets.length - 1];
  const lh = valueType.lhist;
  const bits = valueType.histBits ?? 0;
  const nBuckets = lh ? Number((lh.max - lh.min) / lh.step) + 2 : (65 - bits) * (1 << bits) + 1;
  const groups = new Map<string, { key: Value[]; buckets: bigint[] }>();
  for (let i = 0; i < dump.count; i++) {
    const keyOffset = i * plan.keySize;
    const id = dump.keys.toString('latin1', keyOffset, keyOffset + bucketOffset);
    let g = groups.get(id);
    if (!g) {
      const key = plan.keyTypes.map((t, k) => decodeValue(dump.keys, keyOffset + layout.offsets[k], t.kind === 'int' ? { ...t, signed: true } : t, ctx));
      g = { key, buckets: new Array<bigint>(nBuckets).fill(0n) };
      groups.set(id, g);
    }
    const bucket = Number(dump.keys.readBigUInt64LE(keyOffset + bucketOffset));
    let n = 0n;
    for (let c = 0; c < numCpus; c++) n += dump.values.readBigUInt64LE(i * 8 * numCpus + c * 8);
    if (bucket < nBuckets) g.buckets[bucket] += n;
  }
  const entries: MapEntry[] = [...groups.values()].map((g) => ({
    key: g.key,
    value: lh ? { kind: 'lhist', buckets: g.buckets, min: lh.min, max: lh.max, step: lh.step } : { kind: 'hist', buckets: g.buckets, ...(bits ? { bits } : {}) },
  }));
  return { name: plan.name, keyed: plan.keyTypes.length > 0, valueKind: valueType.agg, entries };
}

/** The buffer as 32-bit words: a view when it is aligned, else a copy. */
function words(b: Buffer): Uint32Array {
  if (b.byteOffset % 4 === 0) return new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  return new Uint32Array(new Uint8Array(b).buffer, 0, b.length >>> 2);
}

/**
 * count()/sum() maps with one integer key as columns of exact numbers, for
 * the fast text path (output/columns); undefined when the map is another
 * shape or any key or value is outside what a double holds exactly, which
 * leaves it to snapshotMap.
 */
export function scalarColumns(plan: MapPlan, dump: { keys: Buffer; values: Buffer; count: number }, numCpus: number): MapColumns | undefined {
  const vt = plan.valueType;
  const kt = plan.keyTypes[0];
  // (An empty map prints an empty line: left to the general path.)
  if (dump.count === 0 || plan.keyTypes.length !== 1 || kt.kind !== 'int' || vt?.kind !== 'agg' || (vt.agg !== 'count' && vt.agg !== 'sum') || !plan.percpu) return undefined;
  // Keys print as signed and sort as unsigned (snapshotMap): the same number when below 2^(bits-1).
  const keyLimit = 2 ** Math.min(kt.bits - 1, 53);
  const signedSum = vt.agg === 'sum' && vt.signed;
  const n = dump.count;
  const keys = new Float64Array(n);
  const values = new Float64Array(n);
  if (plan.keySize % 4 !== 0) return undefined;
  // 32-bit words (readUInt32LE per word cost ~25 ms for 100k entries on 2 CPUs); this machine is little-endian like the BPF maps.
  const kw = words(dump.keys);
  const vw = words(dump.values);
  const keyWords = plan.keySize / 4;
  const strideWords = align8(plan.valueSize) / 4;
  for (let i = 0; i < n; i++) {
    const ko = i * keyWords;
    const khi = kw[ko + 1];
    if (khi >= 0x200000) return undefined;
    const k = khi * 4294967296 + kw[ko];
    if (k >= keyLimit) return undefined;
    keys[i] = k;
    let total = 0;
    for (let c = 0; c < numCpus; c++) {
      const vo = (i * numCpus + c) * strideWords;
      const hi = vw[vo + 1];
      const lo = vw[vo];
      if (hi < 0x200000) total += hi * 4294967296 + lo;
      else if (signedSum && hi >= 0xffe00000) total += (hi - 4294967296) * 4294967296 + lo;
      else return undefined;
    }
    if (!Number.isSafeInteger(total) || (total < 0 && !signedSum)) return undefined;
    values[i] = total;
  }
  return { name: plan.name, keys, values };
}
