import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';

/** The path comes from PrometheusModule.register ({ path: '/metrics' }). */
@ApiTags('operations')
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'Process metrics, `http_request_duration_seconds{method,route,status_code}`, the OCR, worker and cache metrics, ' +
      '`auth_failures_total{reason}` and `api_refusals_total{code,tier}` (all in docs/OPERATIONS.md). No authentication: keep it off the public ' +
      'internet (the nginx example answers 404 for it; scrape the gateway on 127.0.0.1), or set METRICS_ENABLED=false.',
  })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format.' })
  override index(@Res({ passthrough: true }) response: Response): Promise<string> {
    return super.index(response);
  }
}
