import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../decorators/api-key-auth.decorator';
import { ErrorDetailDto, ErrorResponseDto } from './error-response.dto';

export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Secure OCR API')
    .setDescription(
      'Self-hosted OCR. Authenticate with `X-API-Key: ocr_<id>_<secret>` (or `Authorization: Bearer <key>`). ' +
        'Every error has the shape `{"error":{"code","message","requestId"}}`; every response carries `X-Request-Id`.',
    )
    .setVersion(version)
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key: ocr_<id>_<secret>' },
      API_KEY_SCHEME,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'The same API key as a bearer token' },
      BEARER_SCHEME,
    )
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto, ErrorDetailDto] });
}

/** Swagger UI at /docs, the document at /docs-json. */
export function setupOpenApi(app: INestApplication, version: string): void {
  const document = buildOpenApiDocument(app, version);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Secure OCR API',
  });
}
