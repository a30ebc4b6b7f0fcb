import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { UsageSnapshot } from './usage-snapshot';

const READING = Symbol('usageReading');

type WithReading = object & { [READING]?: UsageSnapshot };

/**
 * Keeps the day's usage as this request read it (the key's throttler guard reads it for the
 * rate-limit headers), so that a handler answering the same state reads the database once, not
 * twice, and its body agrees with its headers.
 */
export function rememberUsage(request: object, snapshot: UsageSnapshot): void {
  (request as WithReading)[READING] = snapshot;
}

/** Today's usage as read earlier in this request; undefined when it was not, or the read failed. */
export function usageReadBy(request: object): UsageSnapshot | undefined {
  return (request as WithReading)[READING];
}

/** The handler's parameter for `usageReadBy` of its request. */
export const UsageReadByRequest = createParamDecorator(
  (_data: unknown, context: ExecutionContext): UsageSnapshot | undefined =>
    usageReadBy(context.switchToHttp().getRequest<object>()),
);
