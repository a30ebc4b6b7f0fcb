import { Injectable, NestMiddleware } from '@nestjs/common';
import { InjectThrottlerStorage, normalizeIp, type ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ApiError } from '../common/errors/api-error';
import { AppConfig } from '../config';
import { Throttle, throttleFor } from './tier-throttle';

export const IP_THROTTLER = 'ip';
// Clients of one IPv6 /64 are usually one site: per-address buckets would be trivial to evade.
const IPV6_PREFIX = 64;
/**
 * The liveness probe costs less than the limit's own check and calls nothing: a probe from an
 * address that clients share (a node, a proxy without TRUST_PROXY) must not be refused for them,
 * or the supervisor restarts a healthy gateway.
 */
const UNLIMITED_PATHS = new Set(['/health/live']);

/**
 * A generous per-address limit in front of authentication, so that guessing keys cannot make the
 * gateway spend bcrypt time without bound. `req.ip` is the proxy-forwarded address only when
 * TRUST_PROXY says which proxies to believe (express `trust proxy`), the socket's otherwise.
 */
@Injectable()
export class IpRateLimitMiddleware implements NestMiddleware {
  private readonly throttle?: Throttle;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    config: AppConfig,
  ) {
    const { ipRps, ipBurst } = config.rateLimit;
    this.throttle = ipRps > 0 ? throttleFor({ rps: ipRps, burst: ipBurst }) : undefined;
  }

  async use(req: Request, _res: Response, next: () => void): Promise<void> {
    if (this.throttle && !UNLIMITED_PATHS.has(req.path)) {
      const { limit, ttl } = this.throttle;
      const client = normalizeIp(req.ip ?? 'unknown', IPV6_PREFIX);
      const record = await this.storage.increment(client, ttl, limit, 0, IP_THROTTLER);
      if (record.isBlocked) {
        throw new ApiError(
          429,
          'rate_limited',
          `Too many requests from this network address. Retry after ${record.timeToBlockExpire} s.`,
          {
            'Retry-After': String(record.timeToBlockExpire),
          },
        );
      }
    }
    next();
  }
}
