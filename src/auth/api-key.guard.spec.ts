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

interface FakeRequest {
  path?: string;
  headers?: Record<string, string>;
  apiKey?: AuthenticatedKey;
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
const minterKey: AuthenticatedKey = { ...adminKey, id: 'mint00000001', scopes: ['ocr', 'admin', 'tokens'] };
const signer = new TokenSigner([Buffer.alloc(32, 7).toString('base64url')]);
const inAMinute = (): number => Math.floor(Date.now() / 1000) + 60;

function context(handler: keyof Routes, request: FakeRequest): ExecutionContext {
  return {
    getType: () => 'http',
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
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

  async function outcome(handler: keyof Routes, request: FakeRequest): Promise<true | ApiError> {
    try {
      request.path ??= '/x';
      request.headers ??= {};
      return (await guard.canActivate(context(handler, request))) as true;
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
        expect(result.code).toBe('forbidden');
      }
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
