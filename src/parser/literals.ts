// Integer and string literal decoding with bpftrace's rules and messages.

const DURATION_NS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n,
};
const UINT64_MAX = (1n << 64n) - 1n;

/** Returns the value, or an error message. Values above INT64_MAX wrap to negative (bit pattern kept). */
export function parseIntLiteral(text: string): bigint | string {
  let body = text.replace(/_/g, '');
  let scale = 1n;
  const duration = /^(?!0[xX])([0-9]+)(ns|us|ms|s|m|h|d)$/.exec(body);
  if (duration) {
    body = duration[1];
    scale = DURATION_NS[duration[2]];
  } else {
    body = body.replace(/[uUlL]+$/, '');
  }
  let value: bigint;
  const sci = /^([0-9]+)[eE]([0-9]+)$/.exec(body);
  if (sci) {
    const coefficient = BigInt(sci[1]);
    const exponent = Number(sci[2]);
    if (coefficient > 9n) return `Coefficient part of scientific literal must be in range (0,9), got: ${sci[1]}`;
    if (exponent > 16) return `Exponent will overflow integer range: ${sci[2]}`;
    value = coefficient * 10n ** BigInt(exponent);
  } else if (/^0[xX][0-9a-fA-F]+$/.test(body)) {
    value = BigInt(body);
  } else if (/^0[0-7]+$/.test(body)) {
    value = BigInt('0o' + body.slice(1));
  } else if (/^[0-9]+$/.test(body)) {
    value = BigInt(body);
  } else {
    return `invalid integer literal: ${text}`;
  }
  value *= scale;
  if (value > UINT64_MAX) return `overflow error, maximum value is 18446744073709551615: ${text}`;
  return BigInt.asIntN(64, value);
}

/** Decodes escapes; the result holds one char per byte. `errorEnd`: offset in `body` just past a bad escape. */
export function decodeString(body: string): { value: string; error?: string; errorEnd?: number } {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') {
      // Non-ASCII source characters become their UTF-8 bytes.
      const code = ch.charCodeAt(0);
      out += code < 0x80 ? ch : Buffer.from(ch, 'utf8').toString('latin1');
      continue;
    }
    const next = body[++i];
    switch (next) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case 'x': case 'X': {
        const hex = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1));
        if (!hex) return { value: out, error: `invalid escape character '\\${next}'`, errorEnd: i + 1 };
        out += String.fromCharCode(parseInt(hex[0], 16));
        i += hex[0].length;
        break;
      }
      default: {
        const oct = /^[0-7]{1,3}/.exec(body.slice(i));
        if (!oct) return { value: out, error: `invalid escape character '\\${next ?? ''}'`, errorEnd: i + 1 };
        const code = parseInt(oct[0], 8);
        if (code > 255) return { value: out, error: `octal escape sequence out of range '\\${oct[0]}'`, errorEnd: i + oct[0].length };
        out += String.fromCharCode(code);
        i += oct[0].length - 1;
      }
    }
  }
  return { value: out };
}
