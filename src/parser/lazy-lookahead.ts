// chevrotain's own LL(k) lookahead, built when a decision is first taken
// instead of when the parser is built.
//
// performSelfAnalysis asks the strategy for the lookahead function of every
// OR/OPTION/MANY of the grammar, and the LL(k) strategy computes each one's
// token paths there and then: ~40 ms at the first parse of every cold run,
// mostly for expression productions a given script never reaches. Here each
// function is a stub that asks LLkLookaheadStrategy for the real one on its
// first call and keeps it, so a run pays for the decisions its script takes.
// The functions themselves are chevrotain's, so the parse (and every syntax
// error, whose expected paths chevrotain computes separately) is unchanged.
import { ILookaheadStrategy, LLkLookaheadStrategy } from 'chevrotain';

type Strategy = ILookaheadStrategy;
type AlternationOptions = Parameters<Strategy['buildLookaheadForAlternation']>[0];
type OptionalOptions = Parameters<Strategy['buildLookaheadForOptional']>[0];
type AlternationLookahead = ReturnType<Strategy['buildLookaheadForAlternation']>;
type OptionalLookahead = ReturnType<Strategy['buildLookaheadForOptional']>;

export class LazyLookaheadStrategy implements ILookaheadStrategy {
  private readonly llk: ILookaheadStrategy;

  constructor(options: { maxLookahead: number }) {
    this.llk = new LLkLookaheadStrategy(options);
  }

  validate(options: Parameters<Strategy['validate']>[0]): ReturnType<Strategy['validate']> {
    return this.llk.validate(options);
  }

  buildLookaheadForAlternation(options: AlternationOptions): AlternationLookahead {
    const llk = this.llk;
    let built: AlternationLookahead | undefined;
    // chevrotain calls lookahead functions with the parser as `this`.
    return function lazyAlternation(this: unknown, alts) {
      built ??= llk.buildLookaheadForAlternation(options);
      return built.call(this, alts);
    };
  }

  buildLookaheadForOptional(options: OptionalOptions): OptionalLookahead {
    const llk = this.llk;
    let built: OptionalLookahead | undefined;
    return function lazyOptional(this: unknown) {
      built ??= llk.buildLookaheadForOptional(options);
      return built.call(this);
    };
  }
}
