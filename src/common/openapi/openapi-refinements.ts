import type { HeaderObject, OpenAPIObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import {
  EXPIRY_WARNING_HEADER,
  RATE_LIMIT_HEADERS,
  REQUEST_ID_HEADER,
  RETRY_AFTER_HEADER,
} from './response-headers.openapi';

type Schema = SchemaObject | ReferenceObject;

const COMPONENT_SCHEMA = '#/components/schemas/';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function isReference(schema: Schema): schema is ReferenceObject {
  return '$ref' in schema;
}

/**
 * `additionalProperties: false` on every schema a request body reaches: the global validation
 * pipe refuses unknown fields (`forbidNonWhitelisted`), and a generated client should know it.
 * Response schemas are left open, so that clients keep working when answers gain fields.
 */
export function refuseExtraProperties(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const seen = new Set<string>();
  const visit = (schema: Schema | undefined): void => {
    if (schema === undefined) {
      return;
    }
    if (isReference(schema)) {
      const name = schema.$ref.startsWith(COMPONENT_SCHEMA) ? schema.$ref.slice(COMPONENT_SCHEMA.length) : '';
      if (name !== '' && !seen.has(name)) {
        seen.add(name);
        visit(schemas[name]);
      }
      return;
    }
    if (schema.type === 'object' || schema.properties !== undefined) {
      schema.additionalProperties = false;
    }
    Object.values(schema.properties ?? {}).forEach(visit);
    visit(schema.items);
    [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].forEach(visit);
  };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const body = item[method]?.requestBody;
      if (body !== undefined && !('$ref' in body)) {
        Object.values(body.content).forEach((media) => visit(media.schema));
      }
    }
  }
}

/**
 * Declares the headers on each response that carries them, as references to one definition each
 * under `components.headers`: X-Request-Id everywhere, Retry-After on 429 and 503, and the
 * rate-limit fields on every answer of an authenticated operation but its 401.
 */
export function declareResponseHeaders(document: OpenAPIObject): void {
  const definitions = {
    ...REQUEST_ID_HEADER,
    ...RETRY_AFTER_HEADER,
    ...RATE_LIMIT_HEADERS,
    ...EXPIRY_WARNING_HEADER,
  };
  document.components = {
    ...document.components,
    headers: { ...document.components?.headers, ...definitions },
  };
  const refs = (names: Record<string, HeaderObject>): Record<string, ReferenceObject> =>
    Object.fromEntries(Object.keys(names).map((name) => [name, { $ref: `#/components/headers/${name}` }]));
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) {
        continue;
      }
      const authenticated = (operation.security ?? document.security ?? []).length > 0;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response === undefined || '$ref' in response) {
          continue;
        }
        response.headers = {
          ...response.headers,
          ...refs(REQUEST_ID_HEADER),
          ...(status === '429' || status === '503' ? refs(RETRY_AFTER_HEADER) : {}),
          ...(authenticated && status !== '401' ? refs(RATE_LIMIT_HEADERS) : {}),
          ...(authenticated && status !== '401' ? refs(EXPIRY_WARNING_HEADER) : {}),
        };
      }
    }
  }
}
