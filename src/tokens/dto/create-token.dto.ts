import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsOrigin } from '../../api-keys/key-restrictions';

export const DEFAULT_TOKEN_TTL_SECONDS = 300;
export const MIN_TOKEN_TTL_SECONDS = 30;
/** Also how long a signing secret must keep verifying after it stops signing. */
export const MAX_TOKEN_TTL_SECONDS = 3600;

export class CreateTokenDto {
  @ApiPropertyOptional({
    minimum: MIN_TOKEN_TTL_SECONDS,
    maximum: MAX_TOKEN_TTL_SECONDS,
    example: 300,
    // In words, not as `default`: generators would make the field required.
    description: `How long the token works, in seconds (default ${DEFAULT_TOKEN_TTL_SECONDS}).`,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_TOKEN_TTL_SECONDS)
  @Max(MAX_TOKEN_TTL_SECONDS)
  ttlSeconds?: number;

  @ApiPropertyOptional({
    example: 'https://app.example.com',
    maxLength: 200,
    description:
      "When set, every request with the token must carry exactly this `Origin` header (a browser app's origin), " +
      'else 403 origin_not_allowed. When the key has allowedOrigins, it must be one of them (else 403 origin_not_allowed), ' +
      'and every request with the token is held to them as well.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  // The same rule as a key's allowedOrigins: scheme, host and optional port, no path, no slash.
  @IsOrigin({ message: 'origin must be an origin such as https://app.example.com' })
  origin?: string;
}
