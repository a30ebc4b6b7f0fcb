import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { fromBodyParserError } from './common/errors/to-api-error';
import { IpRateLimitMiddleware } from './rate-limit/ip-rate-limit.middleware';
import { createHttpLogger, createLogger } from './common/logging/logger';
import { contentTypeMiddleware } from './common/middleware/content-type.middleware';
import { requestIdMiddleware } from './common/middleware/request-id.middleware';
import { setupOpenApi } from './common/openapi/openapi';
import { createValidationPipe } from './common/pipes/validation.pipe';
import { AppConfig } from './config';
import { HttpMetrics } from './metrics/http-metrics';

/** The public contract's version (the /api/v1 surface), reported in the OpenAPI document. */
export const API_VERSION = '1.0.0';

/**
 * The gateway, ready to listen. Middleware order matters: request id, request log and metrics
 * come before the body parsers so that a request those refuse is still logged, measured and
 * answered with an id.
 */
export async function createApp(
  config: AppConfig,
  logger: Logger = createLogger(config),
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(NestPinoLogger));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);

  app.use(requestIdMiddleware);
  app.use(createHttpLogger(logger));
  if (config.metrics.enabled) {
    app.use(app.get(HttpMetrics).middleware);
  }
  app.use(
    helmet({
      // Behind TLS, HSTS already upgrades; on plain http://127.0.0.1 the directive would break /docs.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    }),
  );
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.http.corsOrigins],
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'X-API-Key', 'Authorization', 'X-Request-Id'],
      exposedHeaders: [
        'X-Request-Id',
        'Retry-After',
        'RateLimit',
        'RateLimit-Policy',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
      maxAge: 600,
    });
  }
  app.use(contentTypeMiddleware);
  // The per-address limit runs before the body parser: a client over it must not make the gateway
  // read and parse up to MAX_BODY_BYTES first, nor reach the bcrypt check.
  const ipRateLimit = app.get(IpRateLimitMiddleware);
  app.use(['/api', '/admin'], (req: Request, res: Response, next: NextFunction) => ipRateLimit.use(req, res, next));
  // Express's default JSON limit is 100 kB; images arrive as base64 inside JSON.
  app.useBodyParser('json', { limit: config.http.maxBodyBytes });
  app.use(bodyParserErrors);
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app, API_VERSION);
  return app;
}

/** Turns body-parser failures into contract errors before Nest's handler sees them as generic 400/500s. */
function bodyParserErrors(error: unknown, _req: Request, _res: Response, next: NextFunction): void {
  next(fromBodyParserError(error) ?? error);
}
