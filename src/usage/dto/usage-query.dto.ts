import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_HISTORY_DAYS = 366;

export class UsageQueryDto {
  @ApiPropertyOptional({
    description: 'Also return the daily usage of the last N UTC days, today included, oldest first.',
    minimum: 1,
    maximum: MAX_HISTORY_DAYS,
    example: 7,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_HISTORY_DAYS)
  days?: number;
}
