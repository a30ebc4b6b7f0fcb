import { HttpException } from '@nestjs/common';

export type ApiErrorCode =
  | 'validation_failed'
  | 'invalid_api_key'
  | 'forbidden'
  // Contract additions: a key used from an origin or a network its restrictions do not allow.
  | 'origin_not_allowed'
  | 'address_not_allowed'
  | 'not_found'
  // Contract addition: a change refused because of the resource's state (e.g. the last admin key).
  | 'conflict'
  | 'payload_too_large'
  | 'image_too_large'
  | 'unsupported_media_type'
  | 'invalid_image'
  | 'url_not_allowed'
  | 'fetch_failed'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'internal_error'
  | 'worker_unavailable'
  | 'worker_overloaded'
  | 'database_unavailable'
  | 'timeout'
  // Contract additions: Node's own refusals, before any route runs (see http-server.ts).
  | 'request_timeout'
  | 'headers_too_large';

/**
 * An error of the public contract. The global filter renders it as
 * `{"error":{"code","message","requestId"}}`; `headers` (e.g. Retry-After) go on the response.
 */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super({ code, message }, status);
  }
}
