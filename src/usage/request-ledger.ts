import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { UsageLedger } from './usage-ledger';

const LEDGER = Symbol('usageLedger');

type WithLedger = object & { [LEDGER]?: UsageLedger };

/** Binds a request's ledger to it (UsageSettlementInterceptor does, before the handler runs). */
export function attachLedger(request: object, ledger: UsageLedger): void {
  (request as WithLedger)[LEDGER] = ledger;
}

/** The request's ledger, when its route is accounted (UsageSettlementInterceptor) and it has a key. */
export function ledgerOf(request: object): UsageLedger | undefined {
  return (request as WithLedger)[LEDGER];
}

/**
 * The quota ledger of the request, for the services to reserve through. Only on routes behind
 * `@Scopes(...)` and `@UseInterceptors(UsageSettlementInterceptor)`: anywhere else there is no
 * ledger, and reserving there would never be settled, so that is a programming error.
 */
export const RequestLedger = createParamDecorator(
  (_data: unknown, context: ExecutionContext): UsageLedger => {
    const ledger = ledgerOf(context.switchToHttp().getRequest<object>());
    if (ledger === undefined) {
      throw new Error(
        'No usage ledger on this request: the route needs UsageSettlementInterceptor and a key',
      );
    }
    return ledger;
  },
);
