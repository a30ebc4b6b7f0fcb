import { Global, Module } from '@nestjs/common';
import { API_METRIC_PROVIDERS, ApiMetrics } from './api-metrics';

/**
 * The API's own counters (authentication failures, limit refusals), for the guards and the
 * exception filter of every feature; present whether or not GET /metrics is (MetricsModule).
 */
@Global()
@Module({
  providers: [...API_METRIC_PROVIDERS, ApiMetrics],
  exports: [ApiMetrics],
})
export class ApiMetricsModule {}
