import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../decorators/api-key-auth.decorator';
import { ErrorDetailDto, ErrorResponseDto } from './error-response.dto';
import { declareResponseHeaders, refuseExtraProperties } from './openapi-refinements';

export interface OpenApiOptions {
  /** `info.version`: the package's version. */
  version: string;
  /** Applied to the document once it is built, e.g. limits that come from the configuration. */
  refine?: (document: OpenAPIObject) => void;
}

export function buildOpenApiDocument(app: INestApplication, options: OpenApiOptions): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Secure OCR API')
    .setDescription(
      'Self-hosted OCR. Authenticate with `X-API-Key: ocr_<id>_<secret>` (or `Authorization: Bearer <key>`). ' +
        'Every error has the shape `{"error":{"code","message","requestId"}}`; every response carries `X-Request-Id`.',
    )
    .setVersion(options.version)
    // Relative: the document is right wherever the gateway is served from (behind a proxy too).
    .addServer('/', 'This gateway')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key: ocr_<id>_<secret>' },
      API_KEY_SCHEME,
    )
    // Not addBearerAuth: it declares `bearerFormat: JWT`, and the token is an opaque API key.
    .addSecurity(BEARER_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      description:
        'The same API key as a bearer token; on the OCR and usage endpoints also a short-lived token (ocrt_…) from POST /api/v1/tokens',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorResponseDto, ErrorDetailDto],
    // Generated clients name their methods after these: `recognize`, not `OcrController_recognize`.
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  refuseExtraProperties(document);
  declareResponseHeaders(document);
  options.refine?.(document);
  return document;
}

/** Swagger UI at /docs, the document at /docs-json. */
export function setupOpenApi(app: INestApplication, options: OpenApiOptions): void {
  const document = buildOpenApiDocument(app, options);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Secure OCR API',
  });
}
