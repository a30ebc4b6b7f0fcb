import type { CallHandler, ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';
import { lastValueFrom, of, throwError } from 'rxjs';
import { attachLedger } from '../usage/request-ledger';
import type { UsageLedger } from '../usage/usage-ledger';
import { toSnapshot, type UsageSnapshot } from '../usage/usage-snapshot';
import { RateLimitHeadersInterceptor } from './rate-limit-headers.interceptor';
import { RequestLimits } from './request-limits';

describe(RateLimitHeadersInterceptor.name, () => {
  const interceptor = new RateLimitHeadersInterceptor();

  function exchange(settled?: () => Promise<UsageSnapshot | undefined>) {
    const request = {};
    const headers: Record<string, string> = {};
    const response = {
      locals: {},
      headersSent: false,
      setHeader: (name: string, value: string) => (headers[name] = value),
    } as unknown as Response;
    if (settled) {
      attachLedger(request, { settledSnapshot: settled } as unknown as UsageLedger);
    }
    const context = {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ExecutionContext;
    return { context, headers, response };
  }

  const handler = (value: unknown): CallHandler => ({ handle: () => of(value) });

  it("should write the quota after the request's own reservations before the answer goes out", async () => {
    const { context, headers, response } = exchange(() => Promise.resolve(toSnapshot('2026-11-27', 7, 10)));
    RequestLimits.of(response).setDaily(toSnapshot('2026-11-27', 5, 10));
    await expect(lastValueFrom(interceptor.intercept(context, handler({ ok: true })))).resolves.toEqual({
      ok: true,
    });
    expect(headers['X-RateLimit-Remaining']).toBe('3');
  });

  it('should write it before an error is answered too', async () => {
    const { context, headers } = exchange(() => Promise.resolve(toSnapshot('2026-11-27', 10, 10)));
    const failing: CallHandler = { handle: () => throwError(() => new Error('worker down')) };
    await expect(lastValueFrom(interceptor.intercept(context, failing))).rejects.toThrow('worker down');
    expect(headers.RateLimit).toMatch(/^"daily";r=0;t=\d+$/);
  });

  it("should keep the guard's reading when the request changed nothing or the read fails", async () => {
    const untouched = exchange(() => Promise.resolve(undefined));
    RequestLimits.of(untouched.response).setDaily(toSnapshot('2026-11-27', 5, 10));
    await lastValueFrom(interceptor.intercept(untouched.context, handler(1)));
    expect(untouched.headers['X-RateLimit-Remaining']).toBe('5');

    const failing = exchange(() => Promise.reject(new Error('database is down')));
    RequestLimits.of(failing.response).setDaily(toSnapshot('2026-11-27', 5, 10));
    await expect(lastValueFrom(interceptor.intercept(failing.context, handler(2)))).resolves.toBe(2);
    expect(failing.headers['X-RateLimit-Remaining']).toBe('5');
  });

  it('should pass through requests without a ledger', async () => {
    const { context, headers } = exchange();
    await expect(lastValueFrom(interceptor.intercept(context, handler('x')))).resolves.toBe('x');
    expect(headers).toEqual({});
  });
});
