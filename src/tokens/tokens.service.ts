import { Injectable } from '@nestjs/common';
import type { AuthenticatedKey } from '../auth/authenticated-key';
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
    const expiresAt = Math.floor(nowMs / 1000) + (body.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
    const token = this.signer.sign({
      keyId: key.id,
      expiresAt,
      ...(body.origin !== undefined && { origin: body.origin }),
    });
    return { token, expiresAt: new Date(expiresAt * 1000).toISOString() };
  }
}
