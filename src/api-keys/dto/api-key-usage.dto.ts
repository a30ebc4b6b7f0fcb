import { ApiProperty } from '@nestjs/swagger';

export class DayUsageDto {
  @ApiProperty({ example: '2026-11-27', description: 'A UTC day.' })
  date!: string;

  @ApiProperty({ example: 42, description: 'Images that produced a result that day.' })
  used!: number;
}

export class ApiKeyUsageDto {
  @ApiProperty({ example: 'k3v9q2m7x1ab' })
  id!: string;

  @ApiProperty({ example: 30 })
  days!: number;

  @ApiProperty({ example: 420, description: 'Sum over the days listed.' })
  total!: number;

  @ApiProperty({
    type: [DayUsageDto],
    description:
      "Oldest first, up to today; days without usage are 0. A rotated key shares its predecessors' usage.",
  })
  items!: DayUsageDto[];
}
