import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { ApiError } from '../common/errors/api-error';
import { loadConfig } from '../config';
import { usageReadBy } from '../usage/request-usage';
import type { UsageService } from '../usage/usage.service';
import type { UsageSnapshot } from '../usage/usage-snapshot';
import { KeyThrottlerGuard } from './key-throttler.guard';
import { MemoryGcraStorage } from './memory-gcra.storage';
import { throttlerOptions } from './throttler-options';

class Handler {
  handle(): void {}
}

function httpContext(apiKey?: AuthenticatedKey): {
  context: ExecutionContext;
  headers: Record<string, string>;
  request: object;
} {
  const headers: Record<string, string> = {};
  const response = {
    locals: {},
    headersSent: false,
    setHeader: (name: string, value: string) => (headers[name] = value),
  };
  const request = { apiKey, headers: {}, ip: '127.0.0.1' };
  const context = {
    getType: () => 'http',
    getHandler: () => Handler.prototype.handle,
    getClass: () => Handler,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
  return { context, headers, request };
}

describe(KeyThrottlerGuard.name, () => {
  const config = loadConfig({ TIERS: JSON.stringify({ free: { rps: 1, burst: 2 } }) }, '/');
  const key: AuthenticatedKey = {
    id: 'k1',
    lineageId: 'l1',
    name: 'app',
    tier: 'free',
    scopes: ['ocr'],
    dailyLimit: 100,
  };
  const snapshot: UsageSnapshot = {
    day: '2026-11-27',
    used: 40,
    limit: 100,
    remaining: 60,
    resetsAt: new Date(Date.now() + 3_600_000),
  };
  let storage: MemoryGcraStorage;
  let guard: KeyThrottlerGuard;
  let usage: { current: jest.Mock };

  beforeEach(async () => {
    storage = new MemoryGcraStorage();
    usage = { current: jest.fn().mockResolvedValue(snapshot) };
    guard = new KeyThrottlerGuard(
      { ...throttlerOptions(config), storage },
      storage,
      new Reflector(),
      usage as unknown as UsageService,
    );
    await guard.onModuleInit();
  });

  afterEach(() => storage.onApplicationShutdown());

  it('should throttle a key with a rate of its own by that rate, in a bucket that a changed rate replaces', async () => {
    const own = (requests: number): AuthenticatedKey => ({
      ...key,
      restrictions: { origins: [], cidrs: [], rate: { requests, windowSeconds: 60 } },
    });
    const { context, headers } = httpContext(own(3));
    for (let i = 0; i < 3; i++) {
      await expect(guard.canActivate(context)).resolves.toBe(true);
    }
    expect(headers['RateLimit-Policy']).toContain('"rate";q=3;w=60');
    const refused = await guard.canActivate(context).catch((error: unknown) => error);
    expect((refused as ApiError).code).toBe('rate_limited');
    // Raised by an admin: a fresh bucket at once, not the old one's wait.
    await expect(guard.canActivate(httpContext(own(4)).context)).resolves.toBe(true);
    // The tier's bucket (free: burst 2) is its own too.
    await expect(guard.canActivate(httpContext(key).context)).resolves.toBe(true);
  });

  it('should leave requests without an authenticated key alone', async () => {
    const { context, headers } = httpContext();
    for (let i = 0; i < 5; i++) {
      await expect(guard.canActivate(context)).resolves.toBe(true);
    }
    expect(headers).toEqual({});
    expect(usage.current).not.toHaveBeenCalled();
  });

  it("should throttle by the key's tier and write both policies to the response", async () => {
    const { context, headers } = httpContext(key);
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(headers['RateLimit-Policy']).toBe('"rate";q=2;w=2, "daily";q=100;w=86400');
    expect(headers.RateLimit).toMatch(/^"rate";r=1;t=1, "daily";r=60;t=36\d\d$/);
  });

  it("should remember the day's usage it read, for a handler answering the same state", async () => {
    const { context, request } = httpContext(key);
    await guard.canActivate(context);
    expect(usageReadBy(request)).toBe(snapshot);
    expect(usage.current).toHaveBeenCalledTimes(1);
  });

  it('should refuse the request after the burst with 429 rate_limited, Retry-After and headers', async () => {
    const { context, headers } = httpContext(key);
    await guard.canActivate(context);
    await guard.canActivate(context);
    const refusal = (await guard.canActivate(context).catch((e: unknown) => e)) as ApiError;
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal.getStatus()).toBe(429);
    expect(refusal.code).toBe('rate_limited');
    expect(refusal.headers['Retry-After']).toBe('1');
    expect(headers['X-RateLimit-Remaining']).toBe('0');
    expect(headers.RateLimit).toMatch(/^"rate";r=0;t=1, /);
  });

  it('should keep one bucket per key lineage, whatever the address', async () => {
    const spent = httpContext(key).context;
    await guard.canActivate(spent);
    await guard.canActivate(spent);
    await expect(guard.canActivate(spent)).rejects.toBeInstanceOf(ApiError);
    await expect(guard.canActivate(httpContext({ ...key, id: 'k2', lineageId: 'l2' }).context)).resolves.toBe(
      true,
    );
  });

  it('should share the bucket between a key and its rotated successor', async () => {
    await guard.canActivate(httpContext(key).context);
    await guard.canActivate(httpContext({ ...key, id: 'k1-successor' }).context);
    await expect(
      guard.canActivate(httpContext({ ...key, id: 'k1-successor' }).context),
    ).rejects.toBeInstanceOf(ApiError);
  });

  it('should still throttle, without the daily part, when usage cannot be read', async () => {
    usage.current.mockRejectedValue(new Error('connection refused'));
    const { context, headers } = httpContext(key);
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(headers['RateLimit-Policy']).toBe('"rate";q=2;w=2');
    expect(usageReadBy(httpContext(key).request)).toBeUndefined();
  });
});
