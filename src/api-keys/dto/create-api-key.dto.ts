import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';
import { IsPlainText } from '../../common/validation/is-plain-text.decorator';
import { API_KEY_SCOPES, type ApiKeyScope } from '../api-key-scopes';
import {
  AllowedCidrsProperty,
  AllowedOriginsProperty,
  RateLimitOverrideDto,
  RateLimitProperty,
} from './key-restrictions.dto';

export const MAX_DAILY_LIMIT = 2_147_483_647;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'receipts app (production)', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsPlainText()
  name!: string;

  @ApiProperty({
    example: 'pro',
    description: 'A configured tier (TIERS); free, pro and enterprise by default.',
  })
  @IsString()
  @Length(1, 64)
  @IsPlainText()
  tier!: string;

  // Defaults are in words: openapi-typescript makes a property with a `default` required.
  @ApiPropertyOptional({
    enum: API_KEY_SCOPES,
    isArray: true,
    example: ['ocr'],
    description: 'Default `["ocr"]`.',
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(API_KEY_SCOPES, { each: true })
  scopes?: ApiKeyScope[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2027-01-31T00:00:00Z',
    description: 'When the key stops working; must be in the future. Omitted or null: never.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    example: 500,
    description: "Overrides the tier's daily quota. Omitted or null: the tier's quota applies.",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_DAILY_LIMIT)
  dailyLimit?: number | null;

  @AllowedOriginsProperty('create')
  allowedOrigins?: string[];

  @AllowedCidrsProperty('create')
  allowedCidrs?: string[];

  @RateLimitProperty('create')
  rateLimit?: RateLimitOverrideDto | null;
}
