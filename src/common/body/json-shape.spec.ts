import { JsonShapeLimits, JsonShapeProblem, jsonShapeProblem } from './json-shape';

const LOOSE: JsonShapeLimits = { maxDepth: 1000, maxMembers: 1_000_000, maxKeyBytes: 1_000_000 };

function problem(text: string, limits: Partial<JsonShapeLimits> = {}): JsonShapeProblem | null {
  return jsonShapeProblem(Buffer.from(text), { ...LOOSE, ...limits });
}

/** A small deterministic PRNG (mulberry32), so that a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'é', '€', '\u0000', '\n', 'a', '😀', '\\"'];

function randomString(next: () => number): string {
  let s = '';
  const n = Math.floor(next() * 8);
  for (let i = 0; i < n; i++) {
    s += TRICKY[Math.floor(next() * TRICKY.length)];
  }
  return s;
}

interface Shape {
  depth: number;
  members: number;
  maxKeyBytes: number;
}

/** A random JSON value and its shape, computed from how it was built (not by parsing). */
function randomValue(next: () => number, level: number): { value: unknown; shape: Shape } {
  const pick = next();
  if (level > 6 || pick < 0.35) {
    const scalars = [null, true, false, 0, -12.5e3, 7, randomString(next)];
    return {
      value: scalars[Math.floor(next() * scalars.length)],
      shape: { depth: 0, members: 0, maxKeyBytes: 0 },
    };
  }
  const count = Math.floor(next() * 5);
  const children = Array.from({ length: count }, () => randomValue(next, level + 1));
  const keys = children.map((_, i) => `${randomString(next)}${i}`);
  const isObject = pick < 0.7;
  const shape: Shape = {
    depth: 1 + Math.max(0, ...children.map((c) => c.shape.depth)),
    members: count + children.reduce((sum, c) => sum + c.shape.members, 0),
    maxKeyBytes: Math.max(
      0,
      ...children.map((c) => c.shape.maxKeyBytes),
      ...(isObject ? keys.map((k) => Buffer.byteLength(JSON.stringify(k)) - 2) : []),
    ),
  };
  const value = isObject
    ? Object.fromEntries(children.map((c, i) => [keys[i], c.value]))
    : children.map((c) => c.value);
  return { value, shape };
}

describe(jsonShapeProblem.name, () => {
  it('should measure nesting depth', () => {
    expect(problem('{"a":[1]}', { maxDepth: 2 })).toBeNull();
    expect(problem('{"a":[[1]]}', { maxDepth: 2 })).toBe('depth');
    expect(problem('['.repeat(5000) + ']'.repeat(5000), { maxDepth: 16 })).toBe('depth');
  });

  it('should count array elements and object properties together', () => {
    expect(problem('{"images":[{"image":"x"},{"image":"y"}]}', { maxMembers: 5 })).toBeNull();
    expect(problem('{"images":[{"image":"x"},{"image":"y"}]}', { maxMembers: 4 })).toBe('members');
    expect(problem('[]', { maxMembers: 0 })).toBeNull();
    expect(problem('{ }', { maxMembers: 0 })).toBeNull();
    expect(problem('[0]', { maxMembers: 0 })).toBe('members');
    expect(problem(`{"images":[${Array(300_000).fill('{}').join(',')}]}`, { maxMembers: 1024 })).toBe(
      'members',
    );
  });

  it('should bound property names but not string values', () => {
    expect(problem(`{"${'k'.repeat(129)}":1}`, { maxKeyBytes: 128 })).toBe('key');
    expect(problem(`{"k":"${'v'.repeat(10_000)}"}`, { maxKeyBytes: 128 })).toBeNull();
    expect(problem(`["${'v'.repeat(129)}"]`, { maxKeyBytes: 128 })).toBeNull();
    expect(problem(`{"a":1,"${'k'.repeat(129)}":1}`, { maxKeyBytes: 128 })).toBe('key');
  });

  it('should not count brackets, commas or quotes inside strings', () => {
    expect(problem('{"a":"[[[[,,,,{{{{\\"\\\\"}', { maxDepth: 1, maxMembers: 1 })).toBeNull();
    expect(problem('"\\\\"', { maxDepth: 0 })).toBeNull();
    expect(problem('["\\\\",[1]]', { maxDepth: 1 })).toBe('depth');
  });

  it('should leave malformed text to JSON.parse', () => {
    for (const text of ['', ']]]]', '{"a":', '"unterminated', '{"a":1}}}}[[', 'nul']) {
      expect(() => problem(text, { maxDepth: 1, maxMembers: 1, maxKeyBytes: 1 })).not.toThrow();
    }
  });

  it('should agree with the shape of random JSON documents under random limits', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const next = random(seed);
      const { value, shape } = randomValue(next, 0);
      const text = JSON.stringify(value, null, [0, 1, '\t', ' \n'][Math.floor(next() * 4)]);
      const limits: JsonShapeLimits = {
        maxDepth: Math.floor(next() * 8),
        maxMembers: Math.floor(next() * 30),
        maxKeyBytes: Math.floor(next() * 20),
      };
      const violated: JsonShapeProblem[] = [];
      if (shape.depth > limits.maxDepth) {
        violated.push('depth');
      }
      if (shape.members > limits.maxMembers) {
        violated.push('members');
      }
      if (shape.maxKeyBytes > limits.maxKeyBytes) {
        violated.push('key');
      }
      const found = jsonShapeProblem(Buffer.from(text), limits);
      if (violated.length === 0) {
        expect({ seed, found }).toEqual({ seed, found: null });
      } else {
        expect({ seed, found: violated.includes(found as JsonShapeProblem) }).toEqual({ seed, found: true });
      }
    }
  });

  it('should survive random mutations of JSON text', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const next = random(seed);
      const bytes = Buffer.from(JSON.stringify(randomValue(next, 0).value));
      for (let m = 0; m < 4 && bytes.length > 0; m++) {
        bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      }
      const cut = bytes.subarray(0, Math.floor(next() * (bytes.length + 1)));
      expect(() => jsonShapeProblem(cut, { maxDepth: 4, maxMembers: 8, maxKeyBytes: 4 })).not.toThrow();
    }
  });

  it('should stay linear on the worst inputs for its string skipping', () => {
    const worst = [
      `"${'\\"'.repeat(500_000)}"`, // every quote escaped
      `"${'\\'.repeat(1_000_000)}"`, // one long run of backslashes
      `[${'"\\\\",'.repeat(200_000)}0]`, // many strings ending in an escaped backslash
      ' '.repeat(2_000_000),
    ];
    for (const text of worst) {
      const started = performance.now();
      jsonShapeProblem(Buffer.from(text), LOOSE);
      // About 1 MB each: linear work is a few milliseconds; a quadratic scan would take minutes.
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});
