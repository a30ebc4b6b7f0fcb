import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';

/** Names of the OpenAPI security schemes registered in setupOpenApi. */
export const API_KEY_SCHEME = 'api-key';
export const BEARER_SCHEME = 'bearer';

/** Marks an endpoint (or controller) as taking an API key, in X-API-Key or as a bearer token. */
export function ApiKeyAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiSecurity(API_KEY_SCHEME), ApiBearerAuth(BEARER_SCHEME));
}
