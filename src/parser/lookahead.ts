// The parser's lookahead: chevrotain's own LL(k) decisions, without working
// them out at every cold start.
//
// performSelfAnalysis asks the strategy for the lookahead function of every
// OR/OPTION/MANY of the grammar, and chevrotain's LL(k) strategy computes
// each one's token paths there and then by walking the grammar: ~40 ms at
// the first parse of every cold run. The paths depend only on the grammar, so
// `npm run grammar` computes them once (chevrotain's `getLookaheadPaths`, the
// function the LL(k) strategy uses) into lookahead-paths.ts, and here they
// become the same decision functions chevrotain builds from them.
// test/lookahead-paths.test.ts fails when that file is stale. A production
// the file lacks gets chevrotain's own function, built on its first call.
// installStoredLookahead goes one step further: the parser every parse
// starts with gets the functions without recording the grammar at all (a
// decision the file lacks sends that parse to the parser that recorded it).
// Syntax errors are unchanged: chevrotain computes their expected paths
// separately, from the recorded grammar, when the error happens.
import { ILookaheadStrategy, IOrAlt, IToken, LLkLookaheadStrategy, TokenType, tokenMatcher } from 'chevrotain';
import { GATED_DECISIONS, LOOKAHEAD_PATHS } from './lookahead-paths';

type Strategy = ILookaheadStrategy;
type AlternationOptions = Parameters<Strategy['buildLookaheadForAlternation']>[0];
type OptionalOptions = Parameters<Strategy['buildLookaheadForOptional']>[0];
type AlternationLookahead = ReturnType<Strategy['buildLookaheadForAlternation']>;
type OptionalLookahead = ReturnType<Strategy['buildLookaheadForOptional']>;
interface Lookahead { LA(i: number): IToken }

/** The key of one decision in lookahead-paths.ts. */
export function lookaheadKey(ruleName: string, prodType: string, occurrence: number, maxLookahead: number): string {
  return `${ruleName} ${prodType}${occurrence} k=${maxLookahead}`;
}

function matchesPath(parser: Lookahead, path: TokenType[]): boolean {
  for (let i = 0; i < path.length; i++) if (!tokenMatcher(parser.LA(i + 1), path[i])) return false;
  return true;
}

function matchesAny(parser: Lookahead, paths: TokenType[][]): boolean {
  for (let j = 0; j < paths.length; j++) if (matchesPath(parser, paths[j])) return true;
  return false;
}

const oneToken = (paths: TokenType[][]) => paths.every((path) => path.length === 1);

/** For decisions on one token (most of them): tokenTypeIdx → value, categories included, first value kept. */
function byFirstToken<V>(alts: TokenType[][][], value: (alt: number) => V): V[] {
  const table: V[] = [];
  alts.forEach((paths, alt) => {
    for (const [t] of paths) {
      for (const idx of [t.tokenTypeIdx!, ...(t.categoryMatches ?? [])]) if (table[idx] === undefined) table[idx] = value(alt);
    }
  });
  return table;
}

export class StoredLookaheadStrategy implements ILookaheadStrategy {
  private readonly llk: ILookaheadStrategy;
  private readonly tokensByName: Map<string, TokenType>;

  constructor(options: { maxLookahead: number; tokens: TokenType[] }) {
    this.llk = new LLkLookaheadStrategy(options);
    this.tokensByName = new Map(options.tokens.map((t) => [t.name, t]));
  }

  validate(options: Parameters<Strategy['validate']>[0]): ReturnType<Strategy['validate']> {
    return this.llk.validate(options);
  }

  /** Whether lookahead-paths.ts has the decision, with tokens this lexer knows. */
  hasStored(key: string): boolean {
    return this.stored(key) !== undefined;
  }

  /** The stored paths of a decision as token types, or undefined if the file lacks it. */
  private stored(key: string): TokenType[][][] | undefined {
    const named = LOOKAHEAD_PATHS[key];
    if (!named) return undefined;
    const alts = named.map((paths) => paths.map((path) => path.map((name) => this.tokensByName.get(name))));
    return alts.every((paths) => paths.every((path) => path.every((t) => t !== undefined))) ? alts as TokenType[][][] : undefined;
  }

  buildLookaheadForAlternation(options: AlternationOptions): AlternationLookahead {
    const alts = this.stored(lookaheadKey(options.rule.name, 'Alternation', options.prodOccurrence, options.maxLookahead));
    if (!alts) return this.lazyAlternation(options);
    const { hasPredicates } = options;
    if (!hasPredicates && alts.every(oneToken)) {
      const choice = byFirstToken(alts, (alt) => alt);
      return function storedOneTokenAlternation(this: Lookahead) {
        return choice[this.LA(1).tokenTypeIdx];
      };
    }
    // The first alternative (whose gate allows it) with a matching path, as chevrotain's own.
    return function storedAlternation(this: Lookahead, orAlts?: IOrAlt<unknown>[]) {
      for (let t = 0; t < alts.length; t++) {
        const gate = hasPredicates ? orAlts?.[t]?.GATE : undefined;
        if (gate !== undefined && gate.call(this) === false) continue;
        if (matchesAny(this, alts[t])) return t;
      }
      return undefined;
    };
  }

  buildLookaheadForOptional(options: OptionalOptions): OptionalLookahead {
    const inside = this.stored(lookaheadKey(options.rule.name, options.prodType, options.prodOccurrence, options.maxLookahead));
    if (!inside) return this.lazyOptional(options);
    const paths = inside[0];
    if (oneToken(paths)) {
      const enters = byFirstToken(inside, () => true);
      return function storedOneTokenOptional(this: Lookahead) {
        return enters[this.LA(1).tokenTypeIdx] === true;
      };
    }
    return function storedOptional(this: Lookahead) {
      return matchesAny(this, paths);
    };
  }

  private lazyAlternation(options: AlternationOptions): AlternationLookahead {
    const llk = this.llk;
    let built: AlternationLookahead | undefined;
    // chevrotain calls lookahead functions with the parser as `this`.
    return function lazyAlternation(this: unknown, alts) {
      built ??= llk.buildLookaheadForAlternation(options);
      return built.call(this, alts);
    };
  }

  private lazyOptional(options: OptionalOptions): OptionalLookahead {
    const llk = this.llk;
    let built: OptionalLookahead | undefined;
    return function lazyOptional(this: unknown) {
      built ??= llk.buildLookaheadForOptional(options);
      return built.call(this);
    };
  }
}

/**
 * chevrotain's lookahead cache key of a decision (its grammar/keys.ts, not
 * exported): occurrence | DSL method | the rule's short index.
 */
const DSL_METHOD_KEY: Record<string, number> = {
  Alternation: 1 << 8, Option: 2 << 8, Repetition: 3 << 8, RepetitionMandatory: 4 << 8,
  RepetitionWithSeparator: 5 << 8, RepetitionMandatoryWithSeparator: 6 << 8,
};

/** The parts of a chevrotain parser that performSelfAnalysis fills; none is public API. */
export interface LookaheadCacheOwner {
  fullRuleNameToShort: Record<string, number>;
  setLaFuncCache(key: number, fn: unknown): void;
}

/**
 * What performSelfAnalysis does for the lookahead, without the grammar:
 * every decision in lookahead-paths.ts gets its function under chevrotain's
 * key. Skips recording the grammar (chevrotain runs every rule once, then
 * deletes the recorder's methods again): ~15 ms of each cold start. The
 * grammar is still needed for syntax error messages (the expected paths),
 * so src/parser/index.ts takes those from a parser that recorded it.
 * test/lookahead-paths.test.ts checks the keys against performSelfAnalysis'.
 * False (nothing installed) when a decision's paths name unknown tokens.
 */
export function installStoredLookahead(parser: LookaheadCacheOwner, strategy: StoredLookaheadStrategy): boolean {
  const gated = new Set(GATED_DECISIONS);
  const functions: [number, unknown][] = [];
  for (const key of Object.keys(LOOKAHEAD_PATHS)) {
    const m = /^(\w+) ([A-Za-z]+?)(\d+) k=(\d+)$/.exec(key);
    const rule = m ? parser.fullRuleNameToShort[m[1]] : undefined;
    const method = m ? DSL_METHOD_KEY[m[2]] : undefined;
    if (!m || rule === undefined || method === undefined || !strategy.hasStored(key)) return false;
    const options = { rule: { name: m[1] }, prodOccurrence: Number(m[3]), maxLookahead: Number(m[4]), dynamicTokensEnabled: false };
    const fn = m[2] === 'Alternation'
      ? strategy.buildLookaheadForAlternation({ ...options, hasPredicates: gated.has(key) } as AlternationOptions)
      : strategy.buildLookaheadForOptional({ ...options, prodType: m[2] } as OptionalOptions);
    functions.push([Number(m[3]) | method | rule, fn]);
  }
  for (const [key, fn] of functions) parser.setLaFuncCache(key, fn);
  return true;
}
