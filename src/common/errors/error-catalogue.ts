import type { ApiErrorCode } from './api-error';

/** Each code's status and an example message, as documented in the contract. */
export const API_ERROR_CATALOGUE: Record<ApiErrorCode, { status: number; message: string }> = {
  validation_failed: {
    status: 400,
    message: 'Invalid request: mode must be one of the following values: text, lines, markdown.',
  },
  invalid_api_key: { status: 401, message: 'The API key is missing or invalid.' },
  forbidden: { status: 403, message: 'This API key lacks the scope this endpoint needs.' },
  origin_not_allowed: {
    status: 403,
    message: 'This API key may not be used from the origin https://evil.example.com.',
  },
  address_not_allowed: {
    status: 403,
    message: 'This API key may not be used from the address 203.0.113.7.',
  },
  not_found: { status: 404, message: 'No such resource.' },
  conflict: { status: 409, message: 'The change was refused: it would leave no usable admin key.' },
  payload_too_large: { status: 413, message: 'The request body exceeds the limit of 16777216 bytes.' },
  image_too_large: { status: 413, message: 'The image exceeds the limit of 40000000 pixels.' },
  unsupported_media_type: {
    status: 415,
    message: 'The image format is not supported: send JPEG, PNG, WebP, TIFF or GIF.',
  },
  invalid_image: { status: 422, message: 'The image could not be decoded.' },
  url_not_allowed: {
    status: 422,
    message: 'The image URL is not allowed: only public https addresses are fetched.',
  },
  fetch_failed: { status: 422, message: 'The image could not be fetched from its URL.' },
  rate_limited: {
    status: 429,
    message: 'Too many requests for this key: retry after the time in Retry-After.',
  },
  quota_exceeded: {
    status: 429,
    message: 'The daily quota of this key is used up: it resets at UTC midnight.',
  },
  internal_error: {
    status: 500,
    message: 'An unexpected error occurred. Quote the request id if you report it.',
  },
  worker_unavailable: { status: 503, message: 'The OCR worker is unavailable: retry shortly.' },
  worker_overloaded: {
    status: 503,
    message: 'The OCR worker is at capacity: retry after the time in Retry-After.',
  },
  database_unavailable: {
    status: 503,
    message: 'The database is unavailable: retry after the time in Retry-After.',
  },
  timeout: { status: 504, message: 'The OCR did not finish within the time limit.' },
  request_timeout: {
    status: 408,
    message: 'The request did not arrive in time: send its headers and body without pauses.',
  },
  headers_too_large: {
    status: 431,
    message: 'The request headers exceed the limit of 16384 bytes.',
  },
};

export const API_ERROR_CODES = Object.keys(API_ERROR_CATALOGUE) as ApiErrorCode[];
