import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Response } from 'express';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import type { AuthenticatedRequest } from '../auth/authenticated-request';
import { ApiError } from '../common/errors/api-error';
import { rememberUsage } from '../usage/request-usage';
import { UsageService } from '../usage/usage.service';
import { RequestLimits } from './request-limits';

export function authenticatedKey(context: ExecutionContext): AuthenticatedKey | undefined {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().apiKey;
}

/**
 * The per-key rate limit by tier. Runs after the API-key guard (registered after it) and does
 * nothing for requests that guard let through without a key (public routes): buckets are keyed by
 * the key's lineage, never the client address. It also hands the rate decision and the daily quota,
 * read from the usage table, to RequestLimits, the headers' writer, so that every later answer of
 * the request (success, 4xx, 5xx through the global filter) carries them.
 */
@Injectable()
export class KeyThrottlerGuard extends ThrottlerGuard {
  private readonly log = new Logger(KeyThrottlerGuard.name);

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly usage: UsageService,
  ) {
    super(options, storage, reflector);
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(context.getType() !== 'http' || authenticatedKey(context) === undefined);
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    return Promise.resolve((req as unknown as AuthenticatedRequest).apiKey?.lineageId ?? '');
  }

  /**
   * One bucket per key lineage across all routes and processes, not per handler: a key and the
   * one rotated from it (both working during a grace period) share it, as they share the quota.
   * The storages put the throttler's name in front (`<prefix>rate:<lineage id>`).
   */
  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return tracker;
  }

  protected override async handleRequest({
    context,
    limit,
    ttl,
    throttler,
    blockDuration,
    generateKey,
  }: ThrottlerRequest): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const key = request.apiKey as AuthenticatedKey;
    const limits = RequestLimits.of(http.getResponse<Response>());
    const name = throttler.name ?? 'default';
    const [record] = await Promise.all([
      this.storageService.increment(
        generateKey(context, bucketOf(key, limit, ttl), name),
        ttl,
        limit,
        blockDuration,
        name,
      ),
      this.writeDailyPart(request, key, limits),
    ]);
    limits.setRate({
      quota: limit,
      windowSeconds: ttl / 1000,
      remaining: limit - record.totalHits,
      resetSeconds: Math.max(record.timeToExpire, record.timeToBlockExpire),
    });
    if (record.isBlocked) {
      throw new ApiError(
        429,
        'rate_limited',
        `Too many requests: this key allows ${rate(limit, ttl)} requests per second in bursts of up to ${limit}. Retry after ${record.timeToBlockExpire} s.`,
        { 'Retry-After': String(record.timeToBlockExpire) },
      );
    }
    return true;
  }

  /**
   * The quota part of the headers, remembered for a handler that answers the same reading; a
   * database hiccup must not fail a request over a header (that handler then reads again).
   */
  private async writeDailyPart(request: object, key: AuthenticatedKey, limits: RequestLimits): Promise<void> {
    try {
      const snapshot = await this.usage.current(key);
      rememberUsage(request, snapshot);
      limits.setDaily(snapshot);
    } catch (error) {
      this.log.warn(
        `Daily usage unavailable for the rate-limit headers: ${error instanceof Error ? error.name : 'error'}`,
      );
    }
  }
}

/**
 * The lineage's bucket; a key with a rate of its own has one per rate: a bucket's state is a time
 * computed under its rate, so a rate changed by an admin (PATCH) starts full at once instead of
 * inheriting a state that the old rate left up to a window ahead.
 */
function bucketOf(key: AuthenticatedKey, limit: number, ttl: number): string {
  return key.restrictions?.rate ? `${key.lineageId}:own:${limit}/${ttl}` : key.lineageId;
}

function rate(limit: number, ttl: number): number {
  return Number(((limit * 1000) / ttl).toFixed(2));
}
