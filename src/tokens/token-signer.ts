import { createHmac, timingSafeEqual } from 'node:crypto';

/** Every short-lived token starts so: the guard tells it from a key (`ocr_…`) by it, and so can a secret scanner. */
export const TOKEN_PREFIX = 'ocrt_';

/** What a token says, once its signature is checked: nothing else about it is stored anywhere. */
export interface TokenClaims {
  /** The id of the key that minted it: every use is re-verified as that key. */
  keyId: string;
  /** Epoch seconds after which it is refused. */
  expiresAt: number;
  /** When set, requests must carry exactly this `Origin`. */
  origin?: string;
}

interface Payload {
  k: string;
  e: number;
  o?: string;
}

const PAYLOAD = /^[A-Za-z0-9_-]+$/;

/**
 * Signs and checks short-lived tokens: `ocrt_<base64url JSON payload>.<base64url HMAC-SHA256>`.
 * The first secret signs, every secret verifies, so a new secret is put first, and the old one
 * dropped once the longest token it signed (TOKEN_MAX_TTL) has expired.
 */
export class TokenSigner {
  private readonly secrets: readonly Buffer[];

  /** @param secrets base64url (TOKEN_SIGNING_KEYS, validated at start); none: tokens are off. */
  constructor(secrets: readonly string[]) {
    this.secrets = secrets.map((secret) => Buffer.from(secret, 'base64url'));
  }

  /** False when no secret is configured: no token is minted, none is accepted. */
  get enabled(): boolean {
    return this.secrets.length > 0;
  }

  sign(claims: TokenClaims): string {
    if (!this.enabled) {
      throw new Error('No TOKEN_SIGNING_KEYS: tokens are off');
    }
    const payload: Payload = {
      k: claims.keyId,
      e: claims.expiresAt,
      ...(claims.origin !== undefined && { o: claims.origin }),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${TOKEN_PREFIX}${body}.${mac(this.secrets[0], body).toString('base64url')}`;
  }

  /** The claims of a token signed by any of the secrets and not yet expired; null otherwise, whatever the reason. */
  verify(token: string, nowMs = Date.now()): TokenClaims | null {
    if (!token.startsWith(TOKEN_PREFIX)) {
      return null;
    }
    const [body, signature, ...rest] = token.slice(TOKEN_PREFIX.length).split('.');
    if (rest.length > 0 || body === undefined || signature === undefined || !PAYLOAD.test(body)) {
      return null;
    }
    const presented = Buffer.from(signature, 'base64url');
    // Buffer.from drops characters outside base64url; re-encoding catches a signature altered so.
    if (presented.toString('base64url') !== signature) {
      return null;
    }
    const signed = this.secrets.some((secret) => {
      const expected = mac(secret, body);
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    });
    if (!signed) {
      return null;
    }
    const claims = parsePayload(body);
    if (claims === null || nowMs >= claims.expiresAt * 1000) {
      return null;
    }
    return claims;
  }
}

function mac(secret: Buffer, body: string): Buffer {
  return createHmac('sha256', secret).update(TOKEN_PREFIX).update(body).digest();
}

function parsePayload(body: string): TokenClaims | null {
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
    if (typeof payload.k !== 'string' || typeof payload.e !== 'number' || !Number.isFinite(payload.e)) {
      return null;
    }
    if (payload.o !== undefined && typeof payload.o !== 'string') {
      return null;
    }
    return { keyId: payload.k, expiresAt: payload.e, ...(payload.o !== undefined && { origin: payload.o }) };
  } catch {
    return null;
  }
}
