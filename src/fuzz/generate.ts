// Generates bpftrace scripts from the grammar (grammar/bpftrace.ebnf): probes
// with attach points and predicates, every statement form, expressions of
// every precedence level, and calls of every builtin with random arities and
// argument types. Generation is type-directed most of the time (so a good
// share of inputs type-checks and reaches codegen) and deliberately wrong the
// rest of the time (so the checker's rejections are exercised too).
import { Rng } from './rng';

type Kind = 'int' | 'str';

/** Probes with the `args` fields the generator may use (kinds as bpftrace types them). */
const PROBES: { name: string; fields: [string, Kind][]; ctxArgs?: boolean; retval?: boolean; invalid?: boolean }[] = [
  { name: 'BEGIN', fields: [] },
  { name: 'END', fields: [] },
  { name: 'tracepoint:syscalls:sys_enter_openat', fields: [['dfd', 'int'], ['flags', 'int'], ['mode', 'int'], ['filename', 'int']] },
  { name: 'tracepoint:syscalls:sys_exit_openat', fields: [['ret', 'int']] },
  { name: 'tracepoint:syscalls:sys_enter_read', fields: [['fd', 'int'], ['count', 'int'], ['buf', 'int']] },
  { name: 'tracepoint:syscalls:sys_exit_read', fields: [['ret', 'int']] },
  { name: 'tracepoint:sched:sched_switch', fields: [['prev_pid', 'int'], ['next_pid', 'int'], ['prev_comm', 'str'], ['next_comm', 'str']] },
  { name: 'tracepoint:syscalls:sys_enter_open*', fields: [] },
  { name: 'interval:ms:100', fields: [] },
  { name: 'interval:s:1', fields: [] },
  { name: 'profile:hz:99', fields: [] },
  { name: 'software:cpu-clock:100000', fields: [] },
  { name: 'hardware:cycles:1000000', fields: [] },
  { name: 'uprobe:/bin/bash:readline', fields: [], ctxArgs: true },
  { name: 'uretprobe:/bin/bash:readline', fields: [], retval: true },
  { name: 'kprobe:do_sys_openat2', fields: [], ctxArgs: true },
  { name: 'kretprobe:do_sys_openat2', fields: [], retval: true },
  { name: 'fentry:vfs_read', fields: [['count', 'int'], ['pos', 'int']] },
  { name: 'fexit:vfs_read', fields: [['count', 'int']], retval: true },
  { name: 'usdt:/bin/bash:probe', fields: [], invalid: true },
  { name: 'rawtracepoint:sched_switch', fields: [], invalid: true },
  { name: 'tracepoint:nosuch:event', fields: [], invalid: true },
  { name: 'nosuchprovider:x', fields: [], invalid: true },
  { name: 'interval:xs:0', fields: [], invalid: true },
];

/** bpftrace's functions (current and 0.17): tstrace may not know all of them yet, which is a rejection to test too. */
const FUNCTIONS = [
  'printf', 'print', 'exit', 'str', 'join', 'count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist', 'clear', 'zero',
  'delete', 'time', 'strftime', 'ksym', 'usym', 'kstack', 'ustack', 'kaddr', 'uaddr', 'ntop', 'pton', 'cgroupid', 'system',
  'cat', 'signal', 'reg', 'strncmp', 'strcontains', 'macaddr', 'path', 'kptr', 'uptr', 'override', 'len', 'has_key', 'buf',
  'sizeof', 'offsetof', 'bswap', 'skboutput', 'unwatch', 'debugf', 'nosuchfunction',
];

// The first ones are known to tstrace today; the rest only in wild mode.
const INT_BUILTINS = ['pid', 'tid', 'uid', 'gid', 'nsecs', 'elapsed', 'cpu', 'cgroup', 'rand', 'jiffies', 'curtask'];
const VALID_INT_BUILTINS = 9;
const STR_BUILTINS = ['comm', 'probe', 'username', 'func'];
const VALID_STR_BUILTINS = 3;
const TYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'bool', 'string', 'struct task_struct', 'nosuch_t'];
const BINARY_INT = ['+', '-', '*', '/', '%', '<<', '>>', '&', '|', '^', '<', '<=', '>', '>=', '==', '!=', '&&', '||'];
const ASSIGN_OPS = ['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>='];
const PRINTF_CONVERSIONS = ['%d', '%u', '%x', '%X', '%s', '%c', '%p', '%ld', '%llu', '%lx', '%-5d', '%05d', '%5s', '%r', '%rx', '%%', '%q', '%', '%.3s', '%hhd'];
const STRING_PIECES = ['a', 'hello', ' ', '\\n', '\\t', '\\"', '\\\\', '\\x41', '\\101', '\\0', 'é', '%'];

interface MapInfo {
  keys: Kind[];
  value: 'int' | 'str' | 'agg';
}

/** One script's generation state: maps and variables are mostly used consistently. */
class ScriptGen {
  private readonly maps = new Map<string, MapInfo>();
  /** Maps assigned somewhere earlier in the text: valid mode reads only these. */
  private readonly assigned = new Set<string>();
  private vars = new Map<string, Kind>();
  private probe = PROBES[0];
  private depth = 0;
  private loops = 0;

  /** valid: stay within what type-checks (mostly), so codegen is exercised; otherwise anything goes. */
  constructor(private readonly r: Rng, private readonly valid: boolean) {}

  /** True with probability p, but never in valid mode: the entry to deliberately wrong constructs. */
  private wild(p: number): boolean {
    return !this.valid && this.r.chance(p);
  }

  script(): string {
    const parts: string[] = [];
    if (this.wild(0.05)) parts.push('#include <linux/sched.h>\n');
    if (this.wild(0.05)) parts.push('#define N 5\n');
    if (this.r.chance(0.05)) parts.push(`config = { max_map_keys = ${this.valid ? '10' : this.r.pick(['10', '1', '0', '"x"'])}; }\n`);
    const n = 1 + this.r.int(4);
    for (let i = 0; i < n; i++) parts.push(this.probeDef());
    return parts.join('');
  }

  private probeDef(): string {
    const count = this.wild(0.15) ? 2 : 1;
    const points: string[] = [];
    for (let i = 0; i < count; i++) {
      do this.probe = this.r.pick(PROBES);
      while (this.valid && this.probe.invalid);
      points.push(this.probe.name);
    }
    this.vars = new Map();
    const pred = this.r.chance(0.25) ? ` /${this.intExpr()}/` : '';
    const open = this.wild(0.05) ? ['<', '>'] : ['{', '}'];
    return `${points.join(',')}${pred} ${open[0]} ${this.stmts(1 + this.r.int(5))} ${open[1]}\n`;
  }

  private stmts(n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.stmt());
    return out.join(' ');
  }

  private block(): string {
    this.depth++;
    // Variables first assigned inside a block are gone after it.
    const outer = new Map(this.vars);
    const body = this.depth > (this.valid ? 2 : 3) ? this.simpleStmt() : this.stmts(1 + this.r.int(3));
    this.vars = outer;
    this.depth--;
    return `{ ${body} }`;
  }

  private stmt(): string {
    const c = this.r.int(20);
    if (this.depth < 3) {
      if (c === 0) return `if (${this.intExpr()}) ${this.block()}${this.r.chance(0.5) ? ` else ${this.block()}` : ''}`;
      if (c === 1) return `while (${this.intExpr()}) ${this.loopBody()}`;
      if (c === 2) return `unroll(${this.valid ? this.r.pick(['1', '3']) : this.r.pick(['1', '3', '0', '101', '$x', '-1'])}) ${this.block()}`;
      if (c === 3) {
        const v = this.varName();
        this.vars.set(v, 'int');
        const bound = () => (this.valid ? String(this.r.int(20)) : this.intLiteral());
        const outer = new Map(this.vars);
        this.vars.set(v, 'int');
        const loop = `for (${v} : ${bound()}..${bound()}) ${this.loopBody()}`;
        this.vars = outer;
        return loop;
      }
    }
    return this.simpleStmt();
  }

  private loopBody(): string {
    this.loops++;
    try {
      return this.block();
    } finally {
      this.loops--;
    }
  }

  private simpleStmt(): string {
    const c = this.r.int(16);
    if (c < 5) return this.mapAssign() + ';';
    if (c < 8) return this.varAssign() + ';';
    if (c < 11) return this.callStmt() + ';';
    if (c === 11) return this.valid && !this.loops ? 'return;' : `${this.r.pick(['break', 'continue', 'return'])};`;
    if (c === 12) {
      const v = this.varName();
      if (this.valid && this.vars.has(v)) return `${v} = ${this.intExpr()};`;
      const type = this.r.chance(0.5) ? `: ${this.typeName()}` : '';
      const value = this.r.chance(0.6) ? ` = ${this.intExpr()}` : '';
      this.vars.set(v, 'int');
      return `let ${v}${type}${value};`;
    }
    if (c === 13) {
      const ints = [...this.vars].filter(([, k]) => k === 'int').map(([v]) => v);
      const target = this.valid ? (ints.length ? this.r.pick(ints) : '@inc') : this.mapRef('int');
      return `${target}${this.r.pick(['++', '--'])};`;
    }
    if (c === 14 && !this.valid) return `${this.anyCall()};`;
    return `${this.anyExpr()};`;
  }

  private varName(): string {
    return `$${this.r.pick(['x', 'y', 'i', 's', 'long_variable_name'])}`;
  }

  private varAssign(): string {
    const v = this.varName();
    const known = this.vars.get(v);
    const kind: Kind = known && (this.valid || this.r.chance(0.9)) ? known : this.r.chance(0.7) ? 'int' : 'str';
    const op = kind === 'int' && (known || !this.valid) && this.r.chance(0.2) ? this.r.pick(ASSIGN_OPS) : '=';
    const value = this.expr(kind);
    this.vars.set(v, kind);
    return `${v} ${op} ${value}`;
  }

  private mapName(): string {
    return this.r.pick(['@', '@a', '@b', '@count', '@s', '@h']);
  }

  private mapInfo(name: string): MapInfo {
    let info = this.maps.get(name);
    if (!info || this.wild(0.03)) {
      const keys: Kind[] = [];
      const nkeys = this.r.pick([0, 0, 1, 1, 2, 3]);
      for (let i = 0; i < nkeys; i++) keys.push(this.r.chance(0.7) ? 'int' : 'str');
      info = { keys, value: this.r.pick(['int', 'int', 'agg', 'agg', 'str'] as const) };
      this.maps.set(name, info);
    }
    return info;
  }

  private mapRef(want?: MapInfo['value']): string {
    const name = this.mapName();
    const info = this.mapInfo(name);
    if (want && info.value !== want) {
      if (this.valid) return want === 'int' ? this.intLiteral() : this.stringLiteral();
      if (this.r.chance(0.8)) info.value = want;
    }
    if (this.valid && !this.assigned.has(name)) return want === 'str' ? this.stringLiteral() : this.intLiteral();
    if (!info.keys.length) return name;
    return `${name}[${info.keys.map((k) => this.expr(k)).join(', ')}]`;
  }

  private mapAssign(): string {
    const name = this.mapName();
    const info = this.mapInfo(name);
    const target = info.keys.length ? `${name}[${info.keys.map((k) => this.expr(k)).join(', ')}]` : name;
    this.assigned.add(name);
    if (info.value === 'agg') return `${target} = ${this.aggregation()}`;
    if (info.value === 'str') return `${target} = ${this.strExpr()}`;
    return `${target} ${this.r.chance(0.2) ? this.r.pick(ASSIGN_OPS) : '='} ${this.wild(0.1) ? this.tuple() : this.intExpr()}`;
  }

  private aggregation(): string {
    switch (this.r.int(8)) {
      case 0: return 'count()';
      case 1: return `sum(${this.intExpr()})`;
      case 2: return `min(${this.intExpr()})`;
      case 3: return `max(${this.intExpr()})`;
      case 4: return `avg(${this.intExpr()})`;
      case 5: return `stats(${this.intExpr()})`;
      case 6: return `hist(${this.intExpr()}${this.r.chance(0.2) ? `, ${this.r.int(6)}` : ''})`;
      default: return this.valid ? `lhist(${this.intExpr()}, 0, ${this.r.pick(['10', '100', '1000'])}, ${this.r.pick(['1', '10'])})`
        : `lhist(${this.intExpr()}, ${this.intLiteral()}, ${this.intLiteral()}, ${this.intLiteral()})`;
    }
  }

  private tuple(): string {
    const n = 2 + this.r.int(3);
    const elems: string[] = [];
    for (let i = 0; i < n; i++) elems.push(this.expr(this.r.chance(0.6) ? 'int' : 'str'));
    return `(${elems.join(', ')})`;
  }

  private callStmt(): string {
    switch (this.r.int(9)) {
      case 0: case 1: case 2: return this.printf();
      case 3: return `print(${this.r.chance(0.6) ? this.definedMap() : this.anyExpr()})`;
      case 4: return this.valid && !this.assigned.size ? 'exit()' : `${this.r.pick(['clear', 'zero'])}(${this.definedMap()})`;
      case 5: return this.valid ? this.printf() : `delete(${this.mapRef()})`;
      case 6: return this.r.chance(0.5) ? 'exit()' : `exit(${this.intExpr()})`;
      case 7: return `time(${this.r.chance(0.5) ? '"%H:%M:%S\\n"' : ''})`;
      default: return this.valid ? this.printf() : `join(${this.r.chance(0.5) ? 'args->argv' : this.anyExpr()})`;
    }
  }

  private definedMap(): string {
    const names = [...this.assigned].filter((m) => !this.maps.get(m)?.keys.length || this.r.chance(0.5));
    return this.valid ? (names.length ? this.r.pick(names) : '"no map yet"') : this.mapName();
  }

  private printf(): string {
    const n = this.r.int(5);
    let fmt = '';
    const args: string[] = [];
    for (let i = 0; i < n; i++) {
      const conv = this.valid ? this.r.pick(['%d', '%u', '%x', '%s', '%-5d', '%5s', '%llu']) : this.r.pick(PRINTF_CONVERSIONS);
      fmt += (this.valid ? this.r.pick(STRING_PIECES.filter((p) => p !== '%')) : this.r.pick(STRING_PIECES)) + conv;
      if (conv === '%%') continue;
      // Usually an argument that matches the conversion, sometimes not, sometimes none.
      const wantsStr = /s$|r|%q/.test(conv);
      if (this.valid || this.r.chance(0.9)) args.push(this.expr(wantsStr !== this.wild(0.1) ? 'str' : 'int'));
    }
    if (this.wild(0.05)) args.push(this.anyExpr());
    return `printf("${fmt}\\n"${args.map((a) => ', ' + a).join('')})`;
  }

  /** Any function, any arity, arguments of any type. */
  private anyCall(): string {
    const args: string[] = [];
    const n = this.r.int(6);
    for (let i = 0; i < n; i++) args.push(this.r.chance(0.2) ? this.mapName() : this.anyExpr());
    return `${this.r.pick(FUNCTIONS)}(${args.join(', ')})`;
  }

  private anyExpr(): string {
    return this.expr(this.r.chance(0.6) ? 'int' : 'str');
  }

  private expr(kind: Kind): string {
    // Now and then the wrong kind, to exercise type errors.
    if (this.wild(0.03)) kind = kind === 'int' ? 'str' : 'int';
    return kind === 'int' ? this.intExpr() : this.strExpr();
  }

  private typeName(): string {
    return this.valid ? this.r.pick(TYPES.slice(0, 8)) : this.r.pick(TYPES);
  }

  private intLiteral(): string {
    if (this.valid) return this.r.pick(['0', '1', '2', '7', '10', '100', '-1', '0x10', '4096', '255', '1_000']);
    return this.r.pick(['0', '1', '2', '7', '10', '100', '-1', '0x10', '0xffffffffffffffff', '18446744073709551616', '1e3', '1_000', '4096', '255', "'a'", 'true', 'false']);
  }

  private intExpr(): string {
    this.depth++;
    try {
      if (this.depth > (this.valid ? 4 : 6)) return this.intLeaf();
      switch (this.r.int(this.valid ? 13 : 14)) {
        case 0: case 1: case 2: case 3: return this.intLeaf();
        case 4: case 5: return this.valid ? `(${this.intExpr()}) ${this.r.pick(BINARY_INT)} (${this.intExpr()})` : `${this.intExpr()} ${this.r.pick(BINARY_INT)} ${this.intExpr()}`;
        case 6: return `(${this.intExpr()})`;
        case 7: return this.valid ? `${this.r.pick(['-', '!', '~'])}(${this.intExpr()})` : `${this.r.pick(['-', '!', '~'])}${this.intExpr()}`;
        case 8: return this.valid ? `(${this.intExpr()}) ? (${this.intExpr()}) : (${this.intExpr()})` : `${this.intExpr()} ? ${this.intExpr()} : ${this.intExpr()}`;
        case 9: return `(${this.typeName()})${this.intExpr()}`;
        case 10: return this.valid ? `(${this.r.pick(['comm', '"x"', 'str(pid)'])}) ${this.r.pick(['==', '!='])} (${this.stringLiteral()})`
          : `${this.strExpr()} ${this.r.pick(['==', '!='])} ${this.strExpr()}`;
        case 11: return this.mapRef('int');
        case 12: return `sizeof(${this.r.chance(0.5) || this.valid ? this.typeName() : this.anyExpr()})`;
        default: return this.r.chance(0.5) ? `${this.tuple()}.${this.r.int(4)}` : this.anyCall();
      }
    } finally {
      this.depth--;
    }
  }

  private intLeaf(): string {
    const vars = [...this.vars].filter(([, k]) => k === 'int').map(([v]) => v);
    const fields = this.probe.fields.filter(([, k]) => k === 'int').map(([f]) => f);
    switch (this.r.int(9)) {
      case 0: case 1: return this.intLiteral();
      case 2: case 3: return this.r.pick(this.valid ? INT_BUILTINS.slice(0, VALID_INT_BUILTINS) : INT_BUILTINS);
      case 4: return vars.length ? this.r.pick(vars) : this.valid ? 'pid' : this.varName();
      case 5: return fields.length ? `args${this.r.chance(0.8) ? '->' : '.'}${this.r.pick(fields)}` : this.valid ? 'tid' : 'args->nosuchfield';
      case 6: return this.probe.ctxArgs || this.wild(0.2) ? `arg${this.r.int(this.valid ? 5 : 7)}` : this.probe.retval ? 'retval' : '0';
      case 7: return this.valid ? '$#' : this.r.pick(['$1', '$2', '$#']);
      default:
        if (this.valid) return vars.length ? `${this.r.pick(vars)}++` : 'cpu';
        return this.r.chance(0.5) ? `${this.r.pick(['@', '@a', '@count'])}` : `${this.varName()}++`;
    }
  }

  private strExpr(): string {
    this.depth++;
    try {
      const vars = [...this.vars].filter(([, k]) => k === 'str').map(([v]) => v);
      const fields = this.probe.fields.filter(([, k]) => k === 'str').map(([f]) => f);
      switch (this.depth > (this.valid ? 4 : 6) ? 0 : this.r.int(this.valid ? 11 : 12)) {
        case 0: case 1: return this.stringLiteral();
        case 2: return this.r.pick(this.valid ? STR_BUILTINS.slice(0, VALID_STR_BUILTINS) : STR_BUILTINS);
        case 3: return vars.length ? this.r.pick(vars) : 'comm';
        case 4: return fields.length ? `args->${this.r.pick(fields)}` : 'comm';
        case 5: return `str(${this.intExpr()}${this.r.chance(0.4) ? `, ${this.intExpr()}` : ''})`;
        case 6: return `${this.r.pick(['ksym', 'usym'])}(${this.intExpr()})`;
        case 7: return `${this.r.pick(['kstack', 'ustack'])}(${this.r.pick(this.valid ? ['', 'perf', '3', 'bpftrace, 5'] : ['', 'perf', '3', 'bpftrace, 5', '0', '2000'])})`;
        case 8: return `strftime("${this.r.pick(['%H:%M:%S', '%s', '%f', '%Y-%m-%d'])}", ${this.intExpr()})`;
        case 9: return this.valid ? `(${this.intExpr()}) ? ${this.stringLiteral()} : ${this.stringLiteral()}` : `${this.intExpr()} ? ${this.strExpr()} : ${this.strExpr()}`;
        case 10: return this.mapRef('str');
        default: return this.r.pick(['$1', 'str($1)']);
      }
    } finally {
      this.depth--;
    }
  }

  private stringLiteral(): string {
    if (this.wild(0.02)) return `"${'x'.repeat(this.r.pick([63, 64, 200, 300]))}"`;
    let s = '';
    const n = this.r.int(5);
    for (let i = 0; i < n; i++) s += this.r.pick(STRING_PIECES);
    return `"${s}"`;
  }
}

/** A script generated from the grammar, determined by the generator's state. */
export function generateScript(r: Rng, valid = r.chance(0.6)): string {
  return new ScriptGen(r, valid).script();
}
