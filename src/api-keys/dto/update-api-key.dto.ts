import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { IsPlainText } from '../../common/validation/is-plain-text.decorator';
import { MAX_DAILY_LIMIT } from './create-api-key.dto';
import {
  AllowedCidrsProperty,
  AllowedOriginsProperty,
  RateLimitOverrideDto,
  RateLimitProperty,
} from './key-restrictions.dto';

/**
 * Only the fields sent change; `expiresAt`, `dailyLimit` and `rateLimit` may be set to null to clear
 * them, and a list given replaces the key's (`[]` lifts that restriction).
 */
export class UpdateApiKeyDto {
  @ApiPropertyOptional({ example: 'receipts app (staging)', minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @IsPlainText()
  name?: string;

  @ApiPropertyOptional({ example: 'enterprise' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @IsPlainText()
  tier?: string;

  @ApiPropertyOptional({ example: false, description: 'A disabled key fails from the next request on.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: '2027-06-30T00:00:00Z' })
  @ValidateIf((_dto, value) => value !== null)
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, example: 2000 })
  @ValidateIf((_dto, value) => value !== null)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_DAILY_LIMIT)
  dailyLimit?: number | null;

  @AllowedOriginsProperty('update')
  allowedOrigins?: string[];

  @AllowedCidrsProperty('update')
  allowedCidrs?: string[];

  @RateLimitProperty('update')
  rateLimit?: RateLimitOverrideDto | null;
}
