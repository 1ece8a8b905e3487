// BEGIN and END (HEAD also spells them begin/end). They never attach: the
// runtime runs their programs once through BPF_PROG_TEST_RUN.
import { ProbeError, Provider } from './provider';

const BPF_PROG_TYPE_RAW_TRACEPOINT = 17;

function special(name: 'BEGIN' | 'END'): Provider {
  const provider: Provider = {
    name,
    aliases: [name.toLowerCase()],
    progType: BPF_PROG_TYPE_RAW_TRACEPOINT,
    special: name === 'BEGIN' ? 'begin' : 'end',
    match(parts) {
      if (parts.length > 0) throw new ProbeError(`${name} probe type requires 0 arguments`);
      return [{ provider, name, detail: {} }];
    },
    attach() {
      return { fds: [] };
    },
  };
  return provider;
}

export const beginProvider = special('BEGIN');
export const endProvider = special('END');
