import { ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import { WorkerMetrics } from '../../metrics/worker-metrics';
import { requestIdOf } from '../../ocr/recognize-request';
import { WorkerError } from '../errors/worker-error';

/**
 * The worker's one exception filter (registered globally, APP_FILTER): whatever a handler
 * throws leaves as `RpcException({ code, message })`, Nest's base filter putting it on the wire.
 * A WorkerError keeps its code and message; anything else becomes internal_error with a generic
 * message, so no stack, path or library message ever reaches the gateway. Being the one place
 * every failure passes, it logs each once, under the gateway's request id (a refusal as `warn`,
 * an unexpected failure as `error` with its cause), and counts it.
 */
@Catch()
export class WorkerExceptionsFilter extends BaseRpcExceptionFilter {
  private readonly logger = new Logger(WorkerExceptionsFilter.name);

  constructor(private readonly metrics: WorkerMetrics) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): Observable<unknown> {
    const error = WorkerError.from(exception);
    const requestId = requestIdOf(host.switchToRpc().getData());
    if (error.code === 'internal_error') {
      this.logger.error({ requestId, err: error }, 'failed unexpectedly');
    } else {
      this.logger.warn({ requestId, code: error.code }, 'refused');
    }
    this.metrics.refused(error.code);
    return super.catch(new RpcException(error.toPayload()), host);
  }
}
