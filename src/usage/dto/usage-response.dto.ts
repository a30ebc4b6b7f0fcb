import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class UsageKeyDto {
  @ApiProperty({ description: 'Public id of the calling key.', example: 'k7Qx2mPa9LcZ' })
  id!: string;

  @ApiProperty({ example: 'ios-app production' })
  name!: string;

  @ApiProperty({ example: 'free' })
  tier!: string;
}

export class RateLimitPolicyDto {
  @ApiProperty({ description: 'Sustained requests per second.', example: 2 })
  rps!: number;

  @ApiProperty({ description: 'Requests that may be sent at once after a pause.', example: 5 })
  burst!: number;
}

export class DayUsageDto {
  @ApiProperty({ description: 'A UTC day.', example: '2026-11-27', format: 'date' })
  date!: string;

  @ApiProperty({ description: 'Images counted that day.', example: 42 })
  used!: number;
}

export class UsageResponseDto {
  @ApiProperty({ type: UsageKeyDto })
  key!: UsageKeyDto;

  @ApiProperty({
    description: 'The current quota period: the UTC day.',
    example: '2026-11-27',
    format: 'date',
  })
  period!: string;

  @ApiProperty({
    description:
      'Images counted today: one per image whose result was delivered (cache hits included), and the images of ' +
      'requests still in flight, which are given back if those fail or their client leaves.',
    example: 42,
  })
  used!: number;

  @ApiProperty({ description: "Today's quota: the key's own daily limit, else its tier's.", example: 100 })
  limit!: number;

  @ApiProperty({
    description:
      'Images left today: `limit - used`, never below 0; it may rise when a request in flight fails.',
    example: 58,
  })
  remaining!: number;

  @ApiProperty({
    description: 'When the quota resets: the next UTC midnight.',
    example: '2026-11-28T00:00:00.000Z',
    format: 'date-time',
  })
  resetsAt!: string;

  @ApiProperty({
    type: RateLimitPolicyDto,
    description: "The key's rate limit: its own (rateLimit of the key), else its tier's.",
  })
  rateLimit!: RateLimitPolicyDto;

  @ApiPropertyOptional({ type: [DayUsageDto], description: 'Present when `days` was asked for.' })
  history?: DayUsageDto[];
}
