import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { ApiErrorCode } from '../errors/api-error';
import { API_ERROR_CATALOGUE } from '../errors/error-catalogue';
import { ErrorResponseDto } from '../openapi/error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request',
  401: 'Missing or invalid API key',
  403: 'Forbidden',
  404: 'Not found',
  408: 'Request timeout',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported media type',
  431: 'Request headers too large',
  422: 'Unprocessable input',
  429: 'Too many requests (see Retry-After)',
  500: 'Internal error',
  503: 'Unavailable (see Retry-After when overloaded)',
  504: 'Timed out',
};

/**
 * Documents the contract errors an endpoint may answer, grouped by status, each with an example:
 * `@ApiErrorResponses('validation_failed', 'invalid_api_key', 'forbidden')`.
 */
export function ApiErrorResponses(...codes: ApiErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of new Set(codes)) {
    const { status } = API_ERROR_CATALOGUE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const decorators = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, group]) =>
      ApiResponse({
        status,
        description: `${DESCRIPTIONS[status] ?? 'Error'}: ${group.join(', ')}`,
        type: ErrorResponseDto,
        examples: Object.fromEntries(
          group.map((code) => [
            code,
            {
              summary: code,
              value: {
                error: {
                  code,
                  message: API_ERROR_CATALOGUE[code].message,
                  requestId: 'req_5oVqkWqvHtQ1pYzA',
                },
              },
            },
          ]),
        ),
      }),
    );
  return applyDecorators(...decorators);
}
