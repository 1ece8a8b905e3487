// errorf() / warnf() (HEAD 0.24+): the formatted text is reported like a
// diagnostic at the call's location (`stdin:1:9-30: ERROR: text`, the source
// line, the ~~~ marker) on stderr; the run goes on. In JSON mode it is a
// record on the output: {"type": "errorf", "msg": …, "filename": …, "line": …, "col": …}.
import type { Loc } from '../ast/nodes';
import { jsonString } from '../output/json';

export type MessageLevel = 'ERROR' | 'WARNING';

/** The JSON record of one errorf()/warnf() call (with its newline). */
export function jsonMessageRecord(kind: 'errorf' | 'warnf', text: string, loc: Loc): string {
  return `{"type": "${kind}", "msg": ${jsonString(text)}, "filename": ${jsonString(loc.file)}, "line": ${loc.line}, "col": ${loc.col}}\n`;
}

/** Without a source excerpt (no CLI): `file:line:col-col: LEVEL: text`. */
export function plainMessage(level: MessageLevel, text: string, loc: Loc): string {
  return `${loc.file}:${loc.line}:${loc.col}-${loc.endCol}: ${level}: ${text}\n`;
}
