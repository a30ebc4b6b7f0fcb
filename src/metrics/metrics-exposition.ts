import cluster from 'node:cluster';
import { register } from 'prom-client';
import { ClusterMetricsWorker } from '../cluster/cluster-metrics';
import { ApiError } from '../common/errors/api-error';

/**
 * What GET /metrics answers: this process's registry, or, in a process of a gateway cluster
 * (GATEWAY_PROCESSES > 1), the whole cluster's merged by the primary (see src/cluster/), since
 * Prometheus scraping the shared port cannot choose which process answers.
 */
export class MetricsExposition {
  private readonly clustered = cluster.isWorker ? new ClusterMetricsWorker(register) : undefined;

  readonly contentType = register.contentType;

  async text(): Promise<string> {
    if (this.clustered === undefined) {
      return register.metrics();
    }
    try {
      return await this.clustered.merged();
    } catch {
      throw new ApiError(504, 'timeout', 'The gateway processes did not all report their metrics in time; scrape again.');
    }
  }

  close(): void {
    this.clustered?.close();
  }
}
