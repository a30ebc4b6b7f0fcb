import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  DEFAULT_RATE_WINDOW_SECONDS,
  IsCidr,
  IsOrigin,
  MAX_ALLOWED_CIDRS,
  MAX_ALLOWED_ORIGINS,
  MAX_CIDR_LENGTH,
  MAX_ORIGIN_LENGTH,
  MAX_RATE_REQUESTS,
  MAX_RATE_WINDOW_SECONDS,
} from '../key-restrictions';

/** A key's own rate, as an admin gives it. */
export class RateLimitOverrideDto {
  @ApiProperty({ minimum: 1, maximum: MAX_RATE_REQUESTS, example: 120 })
  @IsInt()
  @Min(1)
  @Max(MAX_RATE_REQUESTS)
  requests!: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_RATE_WINDOW_SECONDS,
    example: 60,
    description: `The window the requests are counted in, in seconds; omitted: ${DEFAULT_RATE_WINDOW_SECONDS} (requests per minute).`,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RATE_WINDOW_SECONDS)
  windowSeconds?: number;
}

/** A key's own rate, as answers show it. */
export class KeyRateLimitDto {
  @ApiProperty({ example: 120, description: 'Requests allowed per window, all at once after a pause.' })
  requests!: number;

  @ApiProperty({ example: 60, description: 'The window, in seconds; the bucket refills evenly over it.' })
  windowSeconds!: number;
}

export const ORIGINS_DESCRIPTION =
  'Browser origins (`scheme://host[:port]`, exactly as the `Origin` header carries them) this key may be used ' +
  `from, at most ${MAX_ALLOWED_ORIGINS}. A request carrying another Origin is refused with 403 origin_not_allowed; ` +
  'a request without Origin (not from a browser) is not checked against it. Empty: any origin.';
export const CIDRS_DESCRIPTION =
  `IPv4 and IPv6 networks (\`203.0.113.0/24\`, \`2001:db8::/32\`; a bare address is one host), at most ${MAX_ALLOWED_CIDRS}, ` +
  'the client address must lie in, else 403 address_not_allowed. Not applied to short-lived tokens the key mints ' +
  '(they are for devices anywhere), but to the minting. Empty: any address.';
export const RATE_DESCRIPTION =
  "This key's own rate in place of its tier's (the daily quota is dailyLimit). Null: the tier's rate.";

/** What leaving a field out of a create or a change means. */
type Use = 'create' | 'update';

function omitted(use: Use, onCreate: string): string {
  return use === 'create' ? `Omitted: ${onCreate}.` : 'Omitted: unchanged.';
}

/** `allowedOrigins` of a create or a change; the list replaces the key's, `[]` lifts the restriction. */
export function AllowedOriginsProperty(use: Use): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: [String],
      maxItems: MAX_ALLOWED_ORIGINS,
      example: ['https://app.example.com'],
      description: `${ORIGINS_DESCRIPTION} ${omitted(use, 'empty')}`,
      items: { type: 'string', maxLength: MAX_ORIGIN_LENGTH },
    }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(MAX_ALLOWED_ORIGINS),
    IsOrigin({ each: true }),
  );
}

export function AllowedCidrsProperty(use: Use): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: [String],
      maxItems: MAX_ALLOWED_CIDRS,
      example: ['203.0.113.0/24', '2001:db8::/32'],
      description: `${CIDRS_DESCRIPTION} ${omitted(use, 'empty')}`,
      items: { type: 'string', maxLength: MAX_CIDR_LENGTH },
    }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(MAX_ALLOWED_CIDRS),
    IsCidr({ each: true }),
  );
}

export function RateLimitProperty(use: Use): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: RateLimitOverrideDto,
      nullable: true,
      description: `${RATE_DESCRIPTION} ${omitted(use, 'null')}`,
    }),
    ValidateIf((_dto, value) => value !== null),
    IsOptional(),
    IsObject(),
    ValidateNested(),
    Type(() => RateLimitOverrideDto),
  );
}
