import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class WorkerCountDto {
  @ApiProperty({ example: 2 })
  inService!: number;

  @ApiProperty({ example: 2 })
  configured!: number;
}

export class HealthCheckDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: 'up' | 'down';

  @ApiPropertyOptional({
    description: 'Why the check failed.',
    example: 'The OCR worker did not answer within 1500 ms.',
  })
  message?: string;

  @ApiPropertyOptional({ description: 'worker: cpu or cuda', example: 'cpu' })
  device?: string;

  @ApiPropertyOptional({ description: 'worker: the model version', example: 'PP-OCRv4' })
  model?: string;

  @ApiPropertyOptional({ description: 'worker: inference lanes', example: 2 })
  lanes?: number;

  @ApiPropertyOptional({ description: 'worker: images waiting', example: 0 })
  queueDepth?: number;

  @ApiPropertyOptional({ description: 'worker: images being recognised', example: 0 })
  inFlight?: number;

  @ApiPropertyOptional({ description: 'worker: the queue bound', example: 64 })
  maxQueue?: number;

  @ApiPropertyOptional({
    description:
      'worker: of the workers configured (WORKER_URLS), how many serve; with WORKER_TRANSPORT=nats, how many of the queue group answered and how many were seen in the last 10 minutes; lanes and queues above are their sums',
    example: { inService: 2, configured: 2 },
  })
  workers?: WorkerCountDto;
}

export class HealthChecksDto {
  @ApiProperty({ type: HealthCheckDto, example: { status: 'up' } })
  database!: HealthCheckDto;

  @ApiProperty({
    type: HealthCheckDto,
    example: {
      status: 'up',
      device: 'cpu',
      model: 'PP-OCRv4',
      lanes: 2,
      queueDepth: 0,
      inFlight: 0,
      maxQueue: 64,
    },
  })
  worker!: HealthCheckDto;
}

export class LivenessDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';
}

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'error'], example: 'ok' })
  status!: 'ok' | 'error';

  @ApiProperty({ type: HealthChecksDto })
  checks!: HealthChecksDto;
}
