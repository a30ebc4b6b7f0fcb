import { Injectable } from '@nestjs/common';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { normalizeOrigin } from '../api-keys/key-restrictions';
import { keyAllowsOrigin, originNotAllowed } from '../auth/key-restriction-checks';
import { ApiError } from '../common/errors/api-error';
import { CreateTokenDto, DEFAULT_TOKEN_TTL_SECONDS } from './dto/create-token.dto';
import type { CreatedTokenDto } from './dto/created-token.dto';
import { TokenSigner } from './token-signer';

@Injectable()
export class TokensService {
  constructor(private readonly signer: TokenSigner) {}

  mint(key: AuthenticatedKey, body: CreateTokenDto, nowMs = Date.now()): CreatedTokenDto {
    if (!this.signer.enabled) {
      // As if the route did not exist: the server was not given TOKEN_SIGNING_KEYS.
      throw new ApiError(404, 'not_found', 'Short-lived tokens are not enabled on this server.');
    }
    // Bound as browsers send it (lower case, no default port), so that the comparison on use holds.
    const origin = body.origin === undefined ? undefined : (normalizeOrigin(body.origin) ?? body.origin);
    if (
      origin !== undefined &&
      (key.restrictions?.origins.length ?? 0) > 0 &&
      !keyAllowsOrigin(key, origin)
    ) {
      throw originNotAllowed(origin, 'A token of this API key');
    }
    const expiresAt = Math.floor(nowMs / 1000) + (body.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
    const token = this.signer.sign({
      keyId: key.id,
      expiresAt,
      ...(origin !== undefined && { origin }),
    });
    return { token, expiresAt: new Date(expiresAt * 1000).toISOString() };
  }
}
