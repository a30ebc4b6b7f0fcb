import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { API_KEY_SCOPES, type ApiKeyScope } from '../api-key-scopes';
import type { ApiKey } from '../api-key.entity';
import { API_KEY_STATUSES, apiKeyStatus, type ApiKeyStatus } from '../api-key-status';
import {
  CIDRS_DESCRIPTION,
  KeyRateLimitDto,
  ORIGINS_DESCRIPTION,
  RATE_DESCRIPTION,
} from './key-restrictions.dto';

/** A key as admins see it: never a secret or a hash. */
export class ApiKeyDto {
  @ApiProperty({ example: 'k3v9q2m7x1ab', description: 'Public lookup id (the middle part of the key).' })
  id!: string;

  @ApiProperty({ example: 'receipts app (production)' })
  name!: string;

  @ApiProperty({ example: 'pro' })
  tier!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['ocr'] })
  scopes!: ApiKeyScope[];

  @ApiProperty({ example: true })
  enabled!: boolean;

  @ApiProperty({
    enum: API_KEY_STATUSES,
    example: 'active',
    description:
      'revoked; expired (its expiry or rotation grace has passed); disabled; rotating (superseded by a rotation, ' +
      'working until graceEndsAt); else active. Only active and rotating keys are accepted.',
  })
  status!: ApiKeyStatus;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  expiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-27T11:30:00.000Z' })
  lastUsedAt!: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: null,
    description: "The override; null: the tier's quota.",
  })
  dailyLimit!: number | null;

  @ApiProperty({ type: [String], example: ['https://app.example.com'], description: ORIGINS_DESCRIPTION })
  allowedOrigins!: string[];

  @ApiProperty({ type: [String], example: ['203.0.113.0/24'], description: CIDRS_DESCRIPTION })
  allowedCidrs!: string[];

  @ApiProperty({ type: KeyRateLimitDto, nullable: true, description: RATE_DESCRIPTION })
  rateLimit!: KeyRateLimitDto | null;

  @ApiPropertyOptional({
    example: 'p8d2w6c4n0ze',
    description: 'Present on a key made by rotating that one.',
  })
  rotatedFrom?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-28T10:00:00.000Z',
    description:
      'On a key that was rotated: it works until then. On the answer to a rotation: when the predecessor stops working.',
  })
  graceEndsAt?: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    example: 'ocr_k3v9q2m7x1ab_<43 base64url characters>',
    description: 'The plaintext key, shown this one time only: store it now.',
  })
  key!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] })
  items!: ApiKeyDto[];
}

export function toApiKeyDto(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    tier: key.tier,
    scopes: [...key.scopes],
    enabled: key.enabled,
    status: apiKeyStatus(key),
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    dailyLimit: key.dailyLimit,
    allowedOrigins: [...key.allowedOrigins],
    allowedCidrs: [...key.allowedCidrs],
    rateLimit:
      key.rateLimit === null || key.rateWindowSeconds === null
        ? null
        : { requests: key.rateLimit, windowSeconds: key.rateWindowSeconds },
    ...(key.rotatedFrom !== null && { rotatedFrom: key.rotatedFrom }),
    ...(key.graceEndsAt !== null && { graceEndsAt: key.graceEndsAt.toISOString() }),
  };
}
