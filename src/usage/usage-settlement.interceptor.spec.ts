import { EventEmitter } from 'node:events';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, Subject, type Observable } from 'rxjs';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { loadConfig } from '../config';
import type { DailyUsageRepository } from './daily-usage.repository';
import { ledgerOf } from './request-ledger';
import { MemoryUsageRepository } from './testing/memory-usage.repository';
import { UsageSettlementInterceptor } from './usage-settlement.interceptor';
import { UsageService } from './usage.service';

type FakeResponse = EventEmitter & { writableFinished: boolean; destroyed: boolean };

describe(UsageSettlementInterceptor.name, () => {
  const key: AuthenticatedKey = {
    id: 'k1',
    lineageId: 'lin1',
    name: 'app',
    tier: 'pro',
    scopes: ['ocr'],
    dailyLimit: 10,
  };
  let usage: MemoryUsageRepository;
  let service: UsageService;
  let interceptor: UsageSettlementInterceptor;

  beforeEach(() => {
    usage = new MemoryUsageRepository();
    service = new UsageService(usage as unknown as DailyUsageRepository, loadConfig({}, '/'));
    interceptor = new UsageSettlementInterceptor(service);
  });

  function exchange(options: { anonymous?: boolean; destroyed?: boolean } = {}) {
    const request: { apiKey?: AuthenticatedKey } = options.anonymous ? {} : { apiKey: key };
    const response: FakeResponse = Object.assign(new EventEmitter(), {
      writableFinished: false,
      destroyed: options.destroyed ?? false,
    });
    const context = {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ExecutionContext;
    const handler = new Subject<unknown>();
    const next: CallHandler = { handle: () => handler.asObservable() };
    const answer: Observable<unknown> = interceptor.intercept(context, next);
    return { request, response, handler, answer, ledger: () => ledgerOf(request)! };
  }

  /** The handler reserves `units` and answers; the framework subscribes as Nest would. */
  async function handle(
    flow: ReturnType<typeof exchange>,
    units: number,
    between?: () => void,
  ): Promise<unknown> {
    const answered = lastValueFrom(flow.answer);
    await flow.ledger().reserve(units);
    between?.();
    flow.handler.next({ text: 'ok' });
    flow.handler.complete();
    return answered;
  }

  function finish(response: FakeResponse): void {
    response.writableFinished = true;
    response.emit('finish');
    response.emit('close');
  }

  it('should give an authenticated request a ledger and charge it once the answer is sent', async () => {
    const flow = exchange();
    await expect(handle(flow, 2)).resolves.toEqual({ text: 'ok' });
    expect(usage.leases.size).toBe(1);
    finish(flow.response);
    await service.onApplicationShutdown();
    expect(usage.leases.size).toBe(0);
    expect(usage.count('lin1')).toBe(2);
  });

  it('should give everything back when the connection closes before the answer was sent', async () => {
    const flow = exchange();
    await handle(flow, 2);
    flow.response.destroyed = true;
    flow.response.emit('close');
    await service.onApplicationShutdown();
    expect(usage.leases.size).toBe(0);
    expect(usage.count('lin1')).toBe(0);
  });

  it('should also give back what the handler reserves after the client left', async () => {
    const flow = exchange();
    const answered = lastValueFrom(flow.answer);
    await flow.ledger().reserve();
    flow.response.emit('close');
    await service.onApplicationShutdown();
    await flow.ledger().reserve(); // the rest of a batch, still running for nobody
    flow.handler.error(new Error('too late'));
    await expect(answered).rejects.toThrow('too late');
    await service.onApplicationShutdown();
    expect(usage.count('lin1')).toBe(0);
    expect(usage.leases.size).toBe(0);
  });

  it('should treat a client gone before the handler ran as gone', async () => {
    const early = exchange({ destroyed: true });
    await handle(early, 1);
    await service.onApplicationShutdown();
    expect(usage.count('lin1')).toBe(0);
  });

  it('should leave requests without a key alone', () => {
    const flow = exchange({ anonymous: true });
    expect(ledgerOf(flow.request)).toBeUndefined();
  });
});
