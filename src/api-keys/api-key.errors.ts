import { ApiError } from '../common/errors/api-error';
import type { KeyMutation } from './api-key.repository';

/** The contract errors of key management, worded once. */

export function keyNotFound(): ApiError {
  return new ApiError(404, 'not_found', 'No API key with this id.');
}

export function unknownTier(known: string[]): ApiError {
  return new ApiError(
    400,
    'validation_failed',
    `tier must be one of the configured tiers: ${known.join(', ')}`,
  );
}

/** A change the repository refused, as the error the caller sees. */
export function refusal(outcome: Exclude<KeyMutation<never>['outcome'], 'done'>): ApiError {
  switch (outcome) {
    case 'not_found':
      return keyNotFound();
    case 'last_admin':
      return new ApiError(
        409,
        'conflict',
        'This is the last usable admin key: create another admin key before disabling, expiring or revoking it.',
      );
    case 'already_rotated':
      return new ApiError(409, 'conflict', 'This key was already rotated: rotate its successor instead.');
  }
}

/** An expiry given by a client: absent or null means none; a past one is refused. */
export function toFutureDate(iso: string | null | undefined): Date | null {
  if (iso === undefined || iso === null) {
    return null;
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || date.getTime() <= Date.now()) {
    throw new ApiError(400, 'validation_failed', 'expiresAt must be a date-time in the future');
  }
  return date;
}
