import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { version } from '../package.json';
import { NestLogger } from '@app/logging';
import { AppModule } from './app.module';
import { corsMiddleware } from './common/http/cors';
import { GatewayHttpAdapter } from './common/http/http-server';
import { createHttpLogger, createLogger } from './common/logging/logger';
import { noStoreMiddleware } from './common/middleware/no-store.middleware';
import { requireHostMiddleware } from './common/middleware/require-host.middleware';
import { requestIdMiddleware } from './common/middleware/request-id.middleware';
import { setupOpenApi } from './common/openapi/openapi';
import { createValidationPipe } from './common/pipes/validation.pipe';
import { AppConfig } from './config';
import { HttpMetrics } from './metrics/http-metrics';
import { documentBatchLimit } from './ocr/ocr.openapi';
import { IpRateLimitMiddleware } from './rate-limit/ip-rate-limit.middleware';

/**
 * The gateway, ready to listen. Middleware order matters: request id, request log and metrics
 * come first so that every refusal is logged, measured and answered with an id; then the
 * per-address limit, on every path. No body parser is mounted here: the routes that take a body
 * read it themselves (`@ReadsBody`), after authentication and the key's rate limit.
 */
export async function createApp(
  config: AppConfig,
  logger: Logger = createLogger(config),
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, logger),
    new GatewayHttpAdapter(config),
    { bodyParser: false, bufferLogs: true },
  );
  app.useLogger(NestLogger.over(logger));
  // Its stop on signals is main.ts's (stopOnSignals): the HTTP server drains before any hook runs.
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);

  app.use(requestIdMiddleware);
  app.use(noStoreMiddleware);
  app.use(createHttpLogger(logger));
  app.use(requireHostMiddleware);
  if (config.metrics.enabled) {
    app.use(app.get(HttpMetrics).middleware);
  }
  app.use(
    helmet({
      // Behind TLS, HSTS already upgrades; on plain http://127.0.0.1 the directive would break /docs.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    }),
  );
  // Per key: a preflight is granted on the public API, the key decides on the request (see cors.ts).
  app.use(corsMiddleware(config.http.corsOrigins));
  // Every path, unknown ones included: a client over it reaches neither the router nor bcrypt.
  const ipRateLimit = app.get(IpRateLimitMiddleware);
  app.use(ipRateLimit.use.bind(ipRateLimit));
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app, { version, refine: documentBatchLimit(config.ocr.batchMax) });
  return app;
}
