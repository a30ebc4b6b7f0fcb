import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/errors/api-error';
import type { ApiMetrics } from '../metrics/api-metrics';
import type { AuthenticatedKey } from './authenticated-key';
import { Scopes } from '../api-keys/scopes.decorator';
import { ScopesGuard } from './scopes.guard';

class Routes {
  @Scopes('admin')
  admin(): void {}

  @Scopes()
  anyKey(): void {}

  open(): void {}
}

const ocrKey: AuthenticatedKey = {
  id: 'ocr000000001',
  lineageId: 'ocr000000001',
  name: 'app',
  tier: 'free',
  scopes: ['ocr'],
  dailyLimit: 100,
};

function context(handler: keyof Routes, apiKey?: AuthenticatedKey): ExecutionContext {
  return {
    getType: () => 'http',
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => ({ apiKey }) }),
  } as unknown as ExecutionContext;
}

describe(ScopesGuard.name, () => {
  const authFailure = jest.fn();
  const guard = new ScopesGuard(new Reflector(), { authFailure } as unknown as ApiMetrics);

  beforeEach(() => authFailure.mockClear());

  it('should answer 403 forbidden naming the missing scope', () => {
    expect(() => guard.canActivate(context('admin', ocrKey))).toThrow(ApiError);
    try {
      guard.canActivate(context('admin', ocrKey));
    } catch (error) {
      expect((error as ApiError).getStatus()).toBe(403);
      expect((error as ApiError).code).toBe('forbidden');
      expect((error as ApiError).message).toContain('admin scope');
    }
    expect(authFailure).toHaveBeenCalledWith('insufficient_scope');
  });

  it('should pass a key holding the scope, and any key where no scope is listed', () => {
    expect(guard.canActivate(context('admin', { ...ocrKey, scopes: ['ocr', 'admin'] }))).toBe(true);
    expect(guard.canActivate(context('anyKey', ocrKey))).toBe(true);
    expect(authFailure).not.toHaveBeenCalled();
  });

  it('should pass public routes, which carry no key', () => {
    expect(guard.canActivate(context('open'))).toBe(true);
  });
});
