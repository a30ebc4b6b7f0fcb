import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { HealthDto, LivenessDto } from './health.dto';
import { HealthService } from './health.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({
    operationId: 'getHealth',
    summary: 'Readiness: the database and the OCR worker',
    description: 'No authentication. For a load balancer: send traffic while it answers 200.',
  })
  @ApiResponse({ status: 200, type: HealthDto, description: 'Both checks are up.' })
  @ApiResponse({
    status: 503,
    type: HealthDto,
    description: 'A check failed; it is named in `checks` with `status: "down"` and a message.',
    example: {
      status: 'error',
      checks: {
        database: { status: 'up' },
        worker: { status: 'down', message: 'The OCR worker is unreachable.' },
      },
    },
  })
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const result = await this.health.check();
    res.status(result.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    res.setHeader('Cache-Control', 'no-store');
    return result;
  }

  @Get('live')
  @ApiOperation({
    summary: 'Liveness: the gateway process answers',
    description:
      'No authentication, no per-address rate limit, no dependency checked: a database or worker ' +
      'outage does not fail it, so a supervisor restarts only a gateway that no longer answers.',
  })
  @ApiResponse({ status: 200, type: LivenessDto, description: 'The process answers.' })
  live(): LivenessDto {
    return { status: 'ok' };
  }
}
