import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiErrorResponses } from '../common/decorators/api-error-responses.decorator';
import { ApiKeyAuth } from '../common/decorators/api-key-auth.decorator';
import type { ApiKeyScope } from './api-key-scopes';

export const SCOPES_METADATA = 'auth:scopes';

/**
 * The route needs a valid API key holding every scope listed (none listed: any valid key).
 * A missing or invalid key answers 401 invalid_api_key, a missing scope 403 forbidden, a key used
 * from an origin or an address its restrictions do not allow 403 origin_not_allowed or
 * address_not_allowed.
 */
export function Scopes(...scopes: ApiKeyScope[]): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(SCOPES_METADATA, scopes),
    ApiKeyAuth(),
    // A key is checked against the database unless it was verified lately: that may be unavailable.
    ApiErrorResponses(
      'invalid_api_key',
      'database_unavailable',
      ...(scopes.length > 0 ? (['forbidden'] as const) : []),
      'origin_not_allowed',
      'address_not_allowed',
    ),
  );
}
