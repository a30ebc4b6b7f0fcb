import { Controller, Get, OnModuleDestroy, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { ErrorResponseDto } from '../common/openapi/error-response.dto';
import { MetricsExposition } from './metrics-exposition';

/**
 * The path comes from PrometheusModule.register ({ path: '/metrics' }), which also declares this
 * controller in its own module: what it answers (MetricsExposition) is made here, not injected.
 */
@ApiTags('operations')
@Controller()
export class MetricsController extends PrometheusController implements OnModuleDestroy {
  private readonly exposition = new MetricsExposition();

  @Get()
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'Process metrics, `http_request_duration_seconds{method,route,status_code}`, the OCR, worker and cache metrics, ' +
      '`auth_failures_total{reason}` and `api_refusals_total{code,tier}` (all in docs/OPERATIONS.md). With GATEWAY_PROCESSES above 1, ' +
      'any process answers for all of them (merged: counters and histograms summed). No authentication: keep it off the public ' +
      'internet (the nginx example answers 404 for it; scrape the gateway on 127.0.0.1), or set METRICS_ENABLED=false.',
  })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format.' })
  @ApiResponse({
    status: 504,
    description: 'timeout: with several gateway processes, one of them did not report its metrics in time.',
    // JSON, as every error, though the 200 is text.
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseDto) } } },
  })
  override async index(@Res({ passthrough: true }) response: Response): Promise<string> {
    const text = await this.exposition.text();
    response.header('Content-Type', this.exposition.contentType);
    return text;
  }

  onModuleDestroy(): void {
    this.exposition.close();
  }
}
