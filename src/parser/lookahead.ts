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
// Syntax errors are unchanged: chevrotain computes their expected paths
// separately, from the grammar, when the error happens.
import { ILookaheadStrategy, IOrAlt, IToken, LLkLookaheadStrategy, TokenType, tokenMatcher } from 'chevrotain';
import { LOOKAHEAD_PATHS } from './lookahead-paths';

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
