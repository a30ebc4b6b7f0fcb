import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedKey } from './authenticated-key';
import type { AuthenticatedRequest } from './authenticated-request';

/** The verified key of the request; only meaningful on routes behind `@Scopes(...)`. */
export const CurrentKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedKey => {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return request.apiKey as AuthenticatedKey;
  },
);
