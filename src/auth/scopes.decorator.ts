import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { ApiKeyScope } from './authenticated-key';

export const SCOPES_METADATA = 'auth:scopes';

/** Names of the OpenAPI security schemes main.ts registers: the X-API-Key header, or a bearer token. */
export const API_KEY_SECURITY = 'api-key';
export const BEARER_SECURITY = 'bearer';

/**
 * The route needs a valid API key holding every scope listed (none listed: any valid key).
 * A missing or invalid key answers 401 invalid_api_key, a missing scope 403 forbidden.
 */
export function Scopes(...scopes: ApiKeyScope[]): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(SCOPES_METADATA, scopes),
    ApiSecurity(API_KEY_SECURITY),
    ApiSecurity(BEARER_SECURITY),
  );
}
