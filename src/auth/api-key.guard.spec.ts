import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/errors/api-error';
import {
  ApiKeyGuard,
  EXPIRY_WARNING_MS,
  expiryWarning,
  INVALID_API_KEY_MESSAGE,
  presentedKey,
} from './api-key.guard';
import { ApiKeyVerifier } from './api-key.verifier';
import type { AuthenticatedKey } from './authenticated-key';
import { Scopes } from '../api-keys/scopes.decorator';
import { TokenSigner } from '../tokens/token-signer';
import { parseCidrs } from '../api-keys/key-restrictions';

interface FakeRequest {
  path?: string;
  headers?: Record<string, string>;
  ip?: string;
  apiKey?: AuthenticatedKey;
}

/** The headers an answer was given, as Express keeps them. */
class FakeResponse {
  readonly headers = new Map<string, string>();
  setHeader(name: string, value: string): void {
    this.headers.set(name.toLowerCase(), value);
  }
  removeHeader(name: string): void {
    this.headers.delete(name.toLowerCase());
  }
}

class Routes {
  @Scopes('admin')
  admin(): void {}

  @Scopes('ocr')
  ocr(): void {}

  @Scopes()
  anyKey(): void {}

  open(): void {}
}

const adminKey: AuthenticatedKey = {
  id: 'admin0000001',
  lineageId: 'admin0000001',
  name: 'admin',
  tier: 'enterprise',
  scopes: ['ocr', 'admin'],
  dailyLimit: 1,
};
const ocrKey: AuthenticatedKey = { ...adminKey, id: 'ocr000000001', scopes: ['ocr'] };
const restricted: AuthenticatedKey = {
  ...adminKey,
  id: 'rest00000001',
  scopes: ['ocr'],
  restrictions: {
    origins: ['https://app.example.com'],
    cidrs: parseCidrs(['203.0.113.0/24']),
    rate: null,
  },
};
const minterKey: AuthenticatedKey = { ...adminKey, id: 'mint00000001', scopes: ['ocr', 'admin', 'tokens'] };
const signer = new TokenSigner([Buffer.alloc(32, 7).toString('base64url')]);
const inAMinute = (): number => Math.floor(Date.now() / 1000) + 60;

function context(
  handler: keyof Routes,
  request: FakeRequest,
  response = new FakeResponse(),
): ExecutionContext {
  return {
    getType: () => 'http',
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
}

describe(ApiKeyGuard.name, () => {
  let verify: jest.Mock;
  let verifyKeyId: jest.Mock;
  let guard: ApiKeyGuard;

  beforeEach(() => {
    verify = jest.fn((presented?: string) =>
      Promise.resolve(presented === 'admin-key' ? adminKey : presented === 'ocr-key' ? ocrKey : null),
    );
    verifyKeyId = jest.fn((id: string) => Promise.resolve(id === minterKey.id ? minterKey : null));
    guard = new ApiKeyGuard(new Reflector(), { verify, verifyKeyId } as unknown as ApiKeyVerifier, signer);
  });

  async function outcome(
    handler: keyof Routes,
    request: FakeRequest,
    response = new FakeResponse(),
  ): Promise<true | ApiError> {
    try {
      request.path ??= '/x';
      request.headers ??= {};
      return (await guard.canActivate(context(handler, request, response))) as true;
    } catch (error) {
      return error as ApiError;
    }
  }

  it('should let a public route through without looking at keys', async () => {
    await expect(outcome('open', { path: '/health' })).resolves.toBe(true);
    expect(verify).not.toHaveBeenCalled();
  });

  it('should demand a key on a route under /api or /admin even without @Scopes', async () => {
    for (const path of ['/api/v1/anything', '/admin/v1/x', '/API/v1/x', '//admin']) {
      const result = await outcome('open', { path });
      expect(result).toBeInstanceOf(ApiError);
      expect((result as ApiError).getStatus()).toBe(401);
    }
  });

  it('should set request.apiKey for a key holding the scope', async () => {
    const request: FakeRequest = { headers: { 'x-api-key': 'admin-key' } };
    await expect(outcome('admin', request)).resolves.toBe(true);
    expect(request.apiKey).toBe(adminKey);
  });

  it('should leave scopes to ScopesGuard and pass a valid key without the scope', async () => {
    const request: FakeRequest = { headers: { 'x-api-key': 'ocr-key' } };
    await expect(outcome('admin', request)).resolves.toBe(true);
    expect(request.apiKey).toBe(ocrKey);
  });

  it('should accept any valid key on a route with @Scopes() and no scope listed', async () => {
    await expect(outcome('anyKey', { headers: { 'x-api-key': 'ocr-key' } })).resolves.toBe(true);
  });

  it.each<[string, Record<string, string>]>([
    ['no key', {}],
    ['an invalid key', { 'x-api-key': 'nope' }],
    ['a non-bearer Authorization', { authorization: 'Basic b2NyLWtleQ==' }],
  ])('should answer the one 401 for %s', async (_case, headers) => {
    const result = (await outcome('ocr', { headers })) as ApiError;
    expect(result.getStatus()).toBe(401);
    expect(result.code).toBe('invalid_api_key');
    expect(result.getResponse()).toEqual({ code: 'invalid_api_key', message: INVALID_API_KEY_MESSAGE });
  });

  it.each<[string, Record<string, string>, string | undefined]>([
    ['X-API-Key', { 'x-api-key': 'k1' }, 'k1'],
    ['a Bearer token', { authorization: 'Bearer k2' }, 'k2'],
    ['a bearer token in any case', { authorization: 'bearer   k3 ' }, 'k3'],
    ['X-API-Key over Authorization', { 'x-api-key': 'k1', authorization: 'Bearer k2' }, 'k1'],
    ['nothing from Basic auth', { authorization: 'Basic k4' }, undefined],
  ])('should read %s', (_case, headers, expected) => {
    expect(presentedKey({ headers })).toBe(expected);
  });

  describe('short-lived tokens', () => {
    const bearer = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({
      authorization: `Bearer ${token}`,
      ...extra,
    });

    it('should act as the minting key, re-verified by id, with its ocr scope alone', async () => {
      const request: FakeRequest = {
        headers: bearer(signer.sign({ keyId: minterKey.id, expiresAt: inAMinute() })),
      };
      await expect(outcome('ocr', request)).resolves.toBe(true);
      expect(verifyKeyId).toHaveBeenCalledWith(minterKey.id);
      expect(verify).not.toHaveBeenCalled();
      expect(request.apiKey).toEqual({ ...minterKey, scopes: ['ocr'] });
    });

    it('should refuse a token whose key is no longer usable, or that is forged, with the one 401', async () => {
      for (const token of [
        signer.sign({ keyId: 'gone00000001', expiresAt: inAMinute() }),
        new TokenSigner([Buffer.alloc(32, 8).toString('base64url')]).sign({
          keyId: minterKey.id,
          expiresAt: inAMinute(),
        }),
      ]) {
        const result = (await outcome('ocr', { headers: bearer(token) })) as ApiError;
        expect(result.getStatus()).toBe(401);
        expect(result.code).toBe('invalid_api_key');
      }
    });

    it('should not take a token from X-API-Key', async () => {
      const token = signer.sign({ keyId: minterKey.id, expiresAt: inAMinute() });
      const result = (await outcome('ocr', { headers: { 'x-api-key': token } })) as ApiError;
      expect(result.getStatus()).toBe(401);
      expect(verifyKeyId).not.toHaveBeenCalled();
    });

    it('should demand the Origin a token is bound to', async () => {
      const token = signer.sign({
        keyId: minterKey.id,
        expiresAt: inAMinute(),
        origin: 'https://app.example.com',
      });
      await expect(
        outcome('ocr', { headers: bearer(token, { origin: 'https://app.example.com' }) }),
      ).resolves.toBe(true);
      for (const headers of [bearer(token), bearer(token, { origin: 'https://evil.example.com' })]) {
        const result = (await outcome('ocr', { headers })) as ApiError;
        expect(result.getStatus()).toBe(403);
        expect(result.code).toBe('origin_not_allowed');
      }
    });

    it("should hold a token to its key's allowed origins but not to its key's networks", async () => {
      verifyKeyId.mockResolvedValue(restricted);
      const token = signer.sign({ keyId: restricted.id, expiresAt: inAMinute() });
      const elsewhere = { headers: bearer(token, { origin: 'https://app.example.com' }), ip: '198.51.100.1' };
      await expect(outcome('ocr', elsewhere)).resolves.toBe(true);
      const evil = (await outcome('ocr', {
        headers: bearer(token, { origin: 'https://evil.example' }),
      })) as ApiError;
      expect(evil.code).toBe('origin_not_allowed');
    });

    it('should refuse every token when no signing secret is configured', async () => {
      guard = new ApiKeyGuard(
        new Reflector(),
        { verify, verifyKeyId } as unknown as ApiKeyVerifier,
        new TokenSigner([]),
      );
      const token = signer.sign({ keyId: minterKey.id, expiresAt: inAMinute() });
      expect(((await outcome('ocr', { headers: bearer(token) })) as ApiError).getStatus()).toBe(401);
    });
  });

  describe('restrictions', () => {
    const response = (): FakeResponse => new FakeResponse();

    it('should let an allowed origin read the answer, from an allowed network', async () => {
      verify.mockResolvedValue(restricted);
      const answer = response();
      const request = { headers: { 'x-api-key': 'k', origin: 'https://app.example.com' }, ip: '203.0.113.9' };
      await expect(outcome('ocr', request, answer)).resolves.toBe(true);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(answer.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    });

    it('should refuse another origin with 403 origin_not_allowed and withdraw any CORS grant', async () => {
      verify.mockResolvedValue(restricted);
      const answer = response();
      answer.setHeader('Access-Control-Allow-Origin', 'https://listed.example');
      const request = { headers: { 'x-api-key': 'k', origin: 'https://listed.example' }, ip: '203.0.113.9' };
      const result = (await outcome('ocr', request, answer)) as ApiError;
      expect([result.getStatus(), result.code]).toEqual([403, 'origin_not_allowed']);
      expect(result.message).toContain('https://listed.example');
      expect(answer.headers.has('access-control-allow-origin')).toBe(false);
    });

    it('should not check the origin of a request without one, but its address', async () => {
      verify.mockResolvedValue(restricted);
      await expect(
        outcome('ocr', { headers: { 'x-api-key': 'k' }, ip: '::ffff:203.0.113.200' }),
      ).resolves.toBe(true);
      for (const ip of ['198.51.100.1', '2001:db8::1', undefined]) {
        const result = (await outcome('ocr', { headers: { 'x-api-key': 'k' }, ip })) as ApiError;
        expect([result.getStatus(), result.code]).toEqual([403, 'address_not_allowed']);
      }
    });

    it('should answer 401, not 403, for an invalid key from a refused origin', async () => {
      const result = (await outcome('ocr', {
        headers: { 'x-api-key': 'nope', origin: 'https://evil.example' },
      })) as ApiError;
      expect(result.getStatus()).toBe(401);
    });
  });

  describe('expiry warning', () => {
    const now = Date.UTC(2026, 11, 3, 10, 0, 0);

    it('should warn within seven days of the end, and not before or for a key that never ends', () => {
      expect(expiryWarning({ endsAt: now + EXPIRY_WARNING_MS }, now)).toBe(
        `299 - "API key expires at ${new Date(now + EXPIRY_WARNING_MS).toISOString()}"`,
      );
      expect(expiryWarning({ endsAt: now + 60_000 }, now)).toBe(
        '299 - "API key expires at 2026-12-03T10:01:00.000Z"',
      );
      expect(expiryWarning({ endsAt: now + EXPIRY_WARNING_MS + 1 }, now)).toBeUndefined();
      expect(expiryWarning({ endsAt: null }, now)).toBeUndefined();
      expect(expiryWarning({}, now)).toBeUndefined();
    });

    it('should put the warning on the response of a key that ends soon', async () => {
      const setHeader = jest.fn();
      const soon = { ...ocrKey, endsAt: Date.now() + 3_600_000 };
      verify.mockResolvedValueOnce(soon);
      const request: FakeRequest = { path: '/x', headers: { 'x-api-key': 'ocr-key' } };
      const ctx = {
        getType: () => 'http',
        getHandler: () => Routes.prototype.ocr,
        getClass: () => Routes,
        switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({ setHeader }) }),
      } as unknown as ExecutionContext;
      await expect(guard.canActivate(ctx)).resolves.toBe(true);
      expect(setHeader).toHaveBeenCalledWith('Warning', expiryWarning(soon));
    });
  });
});
