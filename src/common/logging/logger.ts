import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp, HttpLogger } from 'pino-http';
import { createProcessLogger } from '@app/logging';
import type { AppConfig } from '../../config';
import { requestIdOf } from '../middleware/request-id.middleware';

/** Routes whose successful answers are routine (probes, scrapes): logged at debug level only. */
const ROUTINE_PATHS = new Set(['/health', '/health/live', '/metrics']);

type LoggedRequest = IncomingMessage & {
  method?: string;
  route?: { path?: unknown };
  path?: string;
  apiKey?: { id?: unknown };
};

/**
 * The gateway's root logger: the installation's one format (see @app/logging). A process of a
 * gateway cluster (GATEWAY_PROCESSES > 1) names its pid on every line, so that an operator can
 * tell the processes apart (one that keeps restarting, one that is slow).
 */
export function createLogger(config: AppConfig): Logger {
  const logger = createProcessLogger({ service: 'gateway', level: config.log.level });
  return cluster.isWorker ? logger.child({ pid: process.pid }) : logger;
}

function pathOf(req: LoggedRequest): string {
  const url = req.path ?? req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * The matched route pattern (`/admin/v1/keys/:id`), known once routing has run. Wildcard patterns
 * are not endpoints of ours: Express records them for middleware mounted with `forRoutes` and for
 * Nest's not-found catch-all, so a request that matched only those has no route.
 */
export function routeOf(req: IncomingMessage): string | undefined {
  const path = (req as LoggedRequest).route?.path;
  return typeof path === 'string' && !path.includes('*') ? path : undefined;
}

function accessLine(
  req: IncomingMessage,
  res: ServerResponse,
  responseTime: number,
): Record<string, unknown> {
  const request = req as LoggedRequest;
  const keyId = request.apiKey?.id;
  return {
    method: request.method,
    path: pathOf(request),
    route: routeOf(req),
    status: res.statusCode,
    durationMs: responseTime,
    ...(typeof keyId === 'string' ? { keyId } : {}),
  };
}

/**
 * One log line per request (id, method, path, route, status, duration, key id when
 * authenticated), and `req.log` bound to the request id for nestjs-pino.
 */
export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (req, res) => requestIdOf(req, res),
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) {
        return 'error';
      }
      if (res.statusCode >= 400) {
        return 'warn';
      }
      return ROUTINE_PATHS.has(pathOf(req)) ? 'debug' : 'info';
    },
    customSuccessObject: (req, res, value: { responseTime: number }) =>
      accessLine(req, res, value.responseTime),
    customErrorObject: (req, res, _error, value: { responseTime: number }) =>
      accessLine(req, res, value.responseTime),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
  });
}
