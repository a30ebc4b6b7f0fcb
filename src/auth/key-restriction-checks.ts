import { matchesCidrs, normalizeOrigin } from '../api-keys/key-restrictions';
import { ApiError } from '../common/errors/api-error';
import type { AuthenticatedKey } from './authenticated-key';

/** What of a request a key's restrictions look at. */
export interface RequestSource {
  /** The `Origin` header, when present. */
  origin?: string;
  /** The client address: the socket's, or the forwarded one when TRUST_PROXY trusts the proxy (`req.ip`). */
  address?: string;
  /** A short-lived token acting as the key: its network is not the key's (see below). */
  viaToken: boolean;
}

/**
 * The refusal a key's restrictions give this request, if any. The origin is checked whenever the
 * request carries one: browsers cannot forge it, so a key shipped in a page cannot be used by
 * another site's pages. A request without Origin does not come from a page and is not checked (a
 * non-browser client can send any Origin anyway: its fence is allowedCidrs). The networks are
 * checked on the key's own requests (minting tokens included), not on a token's: a token is minted
 * for a phone or a browser anywhere, by a backend inside the allowed networks.
 */
export function restrictionRefusal(key: AuthenticatedKey, source: RequestSource): ApiError | undefined {
  const restrictions = key.restrictions;
  if (restrictions === undefined) {
    return undefined;
  }
  if (
    source.origin !== undefined &&
    restrictions.origins.length > 0 &&
    !restrictions.origins.includes(source.origin)
  ) {
    return originNotAllowed(source.origin);
  }
  if (
    !source.viaToken &&
    restrictions.cidrs.length > 0 &&
    !matchesCidrs(source.address, restrictions.cidrs)
  ) {
    return new ApiError(
      403,
      'address_not_allowed',
      `This API key may not be used from the address ${printable(source.address)}: it is restricted to networks that do not include it.`,
    );
  }
  return undefined;
}

/** Whether the key itself names `origin` (CORS_ORIGINS aside). */
export function keyAllowsOrigin(key: AuthenticatedKey, origin: string): boolean {
  return key.restrictions?.origins.includes(origin) ?? false;
}

export function originNotAllowed(origin: string, what = 'This API key'): ApiError {
  // The header is the client's: echoed only when it is an origin, never as arbitrary text.
  const named = normalizeOrigin(origin) === null ? 'this origin' : `the origin ${origin}`;
  return new ApiError(403, 'origin_not_allowed', `${what} may not be used from ${named}.`);
}

function printable(address: string | undefined): string {
  return address !== undefined && /^[0-9A-Fa-f:.]{1,64}$/.test(address) ? address : 'of this request';
}
