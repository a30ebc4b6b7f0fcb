/** Bounds on the shape of a JSON text, checked before it is parsed. */
export interface JsonShapeLimits {
  /** Nesting of arrays and objects (`{"a":[1]}` is 2 deep). */
  readonly maxDepth: number;
  /** Array elements and object properties of the whole text, all containers together. */
  readonly maxMembers: number;
  /** Bytes of one property name, as written (escapes count as written). */
  readonly maxKeyBytes: number;
}

export type JsonShapeProblem = 'depth' | 'members' | 'key';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The first limit a UTF-8 JSON text crosses, or null. One pass, no recursion, no allocation
 * beyond a stack of `maxDepth` flags; string contents are skipped with `indexOf`, so a body of
 * one large base64 string costs a memchr, and a hostile body stops being read at the first bound
 * it crosses. It only measures: JSON.parse still decides afterwards whether the text is JSON
 * (malformed text is measured approximately, never rejected here for being malformed).
 *
 * Bytes are enough in UTF-8: `"`, `\` and the structural characters never occur inside a
 * multi-byte sequence.
 */
export function jsonShapeProblem(text: Buffer, limits: JsonShapeLimits): JsonShapeProblem | null {
  // inObject[d]: whether the container at depth d is an object (its strings after `{` or `,` are keys).
  const inObject = new Uint8Array(limits.maxDepth + 1);
  let depth = 0;
  let members = 0;
  // Just after an opening bracket: the next token, unless it closes, is the container's first member.
  let opened = false;
  let expectKey = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const byte = text[i];
    if (isWhitespace(byte)) {
      continue;
    }
    if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      opened = false;
      expectKey = false;
      depth--;
      if (depth < 0) {
        return null; // malformed: JSON.parse will say so
      }
      continue;
    }
    if (opened) {
      opened = false;
      if (++members > limits.maxMembers) {
        return 'members';
      }
    }
    if (byte === QUOTE) {
      const end = closingQuote(text, i);
      if (end < 0) {
        return null; // unterminated: JSON.parse will say so
      }
      if (expectKey && end - i - 1 > limits.maxKeyBytes) {
        return 'key';
      }
      expectKey = false;
      i = end;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > limits.maxDepth) {
        return 'depth';
      }
      inObject[depth] = byte === OPEN_OBJECT ? 1 : 0;
      opened = true;
      expectKey = byte === OPEN_OBJECT;
    } else if (byte === COMMA) {
      if (++members > limits.maxMembers) {
        return 'members';
      }
      expectKey = depth > 0 && inObject[depth] === 1;
    } else if (byte === COLON) {
      expectKey = false;
    }
    // Anything else is part of a number or literal: nothing to count.
  }
  return null;
}

/**
 * Index of the quote that ends the string opening at `start`, or -1. A quote preceded by an odd
 * run of backslashes is escaped. Each backward count stops at the previous quote at the latest,
 * so the runs counted never overlap: linear overall.
 */
function closingQuote(text: Buffer, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf(QUOTE, from);
    if (quote < 0) {
      return -1;
    }
    let backslashes = 0;
    for (let k = quote - 1; k > start && text[k] === BACKSLASH; k--) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return quote;
    }
    from = quote + 1;
  }
}
