import { randomBytes, randomInt } from 'node:crypto';

/**
 * The key format `ocr_<id>_<secret>`: `<id>` is the public lookup id (shown in listings and logs),
 * `<secret>` 32 random bytes in base64url. The secret alphabet contains `_`, so a key is split on
 * its first two underscores only, and the id alphabet deliberately has no `_`.
 */
export const KEY_PREFIX = 'ocr';
export const KEY_ID_LENGTH = 12;
export const KEY_ID_PATTERN = /^[a-z0-9]{12}$/;

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_BYTES = 32;
// 32 bytes are exactly 43 unpadded base64url characters. The exact length matters beyond tidiness:
// bcrypt reads only the first 72 bytes of its input, so a key with characters appended must not parse.
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface GeneratedApiKey {
  id: string;
  /** The full plaintext key: shown once, never stored. */
  plaintext: string;
}

export function generateKeyId(): string {
  let id = '';
  for (let i = 0; i < KEY_ID_LENGTH; i++) {
    id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  }
  return id;
}

export function generateApiKey(): GeneratedApiKey {
  const id = generateKeyId();
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, plaintext: `${KEY_PREFIX}_${id}_${secret}` };
}

/** The lookup id of a well-formed key, or null for anything else. */
export function parseKeyId(presented: string): string | null {
  const first = presented.indexOf('_');
  const second = presented.indexOf('_', first + 1);
  if (first < 0 || second < 0) {
    return null;
  }
  const prefix = presented.slice(0, first);
  const id = presented.slice(first + 1, second);
  const secret = presented.slice(second + 1);
  if (prefix !== KEY_PREFIX || !KEY_ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) {
    return null;
  }
  return id;
}
