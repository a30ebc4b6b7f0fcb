import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { json, type Request, type RequestHandler, type Response } from 'express';
import type { Observable } from 'rxjs';
import { AppConfig } from '../../config';
import { ApiErrorResponses } from '../decorators/api-error-responses.decorator';
import { ApiError } from '../errors/api-error';
import { fromBodyParserError } from '../errors/to-api-error';
import { JsonShapeLimits, JsonShapeProblem, jsonShapeProblem } from './json-shape';

/**
 * Which body limit a route reads under: `image` is MAX_BODY_BYTES (images travel as base64 inside
 * JSON), `admin` is ADMIN_BODY_BYTES, since a key's settings fit in a few hundred bytes.
 */
export type BodyLimit = 'image' | 'admin';

export const ADMIN_BODY_BYTES = 16 * 1024;

/**
 * The shape every JSON body must keep, checked on the raw bytes before JSON.parse and long before
 * class-transformer builds one object per element: the largest body the API defines (a batch of
 * BATCH_MAX images with ids, BATCH_MAX at most 256) has under 800 members and nests 3 deep.
 */
export const JSON_SHAPE_LIMITS: JsonShapeLimits = { maxDepth: 10, maxMembers: 1024, maxKeyBytes: 128 };

/** JSON and its structured-syntax subtypes (`application/merge-patch+json`, `application/vnd.api+json`). */
const JSON_TYPES = ['application/json', 'application/*+json'];
const MULTIPART = 'multipart/form-data';
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

interface BodyRule {
  limit: BodyLimit;
  multipart: boolean;
}

const BODY_RULE = 'body:rule';

/**
 * The route takes a request body: JSON, read within `limit` and JSON_SHAPE_LIMITS, and, with
 * `multipart`, multipart/form-data, left to the route's upload interceptor. Routes without it never
 * read a body, and neither do unknown routes. The body is read by an interceptor, so only after the
 * per-address limit, the key check, the key's rate limit and its scopes have passed: a request
 * refused by any of them costs no body parsing.
 */
export function ReadsBody(limit: BodyLimit, options: { multipart?: boolean } = {}): MethodDecorator {
  const rule: BodyRule = { limit, multipart: options.multipart ?? false };
  return applyDecorators(
    SetMetadata(BODY_RULE, rule),
    UseInterceptors(BodyInterceptor),
    ApiErrorResponses('validation_failed', 'payload_too_large', 'unsupported_media_type'),
  );
}

@Injectable()
export class BodyInterceptor implements NestInterceptor {
  private readonly parsers: Record<BodyLimit, RequestHandler>;

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
  ) {
    this.parsers = {
      image: jsonParser(config.http.maxBodyBytes),
      admin: jsonParser(ADMIN_BODY_BYTES),
    };
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const rule = this.reflector.get<BodyRule | undefined>(BODY_RULE, context.getHandler());
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    if (rule !== undefined && hasBody(request) && !(rule.multipart && request.is(MULTIPART))) {
      if (!request.is(JSON_TYPES)) {
        throw unsupportedType(rule);
      }
      const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1].toLowerCase();
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        throw new ApiError(415, 'unsupported_media_type', 'Send the JSON body in UTF-8 (charset=utf-8).');
      }
      await run(this.parsers[rule.limit], request, http.getResponse<Response>());
    }
    return next.handle();
  }
}

/** A bodiless POST (revoke, rotate without options) often says Content-Length: 0, without a type. */
function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function unsupportedType(rule: BodyRule): ApiError {
  return new ApiError(
    415,
    'unsupported_media_type',
    rule.multipart
      ? 'Send the request body as application/json or multipart/form-data.'
      : 'Send the request body as application/json.',
  );
}

function jsonParser(limit: number): RequestHandler {
  return json({
    limit,
    type: JSON_TYPES,
    // Runs on the raw (decompressed) bytes, before they are decoded and parsed.
    verify: (_req, _res, body: Buffer) => {
      const problem = jsonShapeProblem(body, JSON_SHAPE_LIMITS);
      if (problem !== null) {
        throw shapeError(problem);
      }
    },
    // Called once per member, and members are bounded above. JSON.parse makes `__proto__` an own
    // property, which class-transformer would then assign as the DTO's prototype.
    reviver: (key: string, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new BodyRefusal(`Invalid request: property ${key} is not allowed.`);
      }
      return value;
    },
  });
}

/** Property names no body of this API has, and that reach prototypes when assigned. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Thrown inside body-parser's hooks, which rewrite what they catch (the JSON parse path deletes
 * every own property but the message): only its class and message are relied on.
 */
class BodyRefusal extends Error {}

function shapeError(problem: JsonShapeProblem): BodyRefusal {
  const { maxDepth, maxMembers, maxKeyBytes } = JSON_SHAPE_LIMITS;
  const detail: Record<JsonShapeProblem, string> = {
    depth: `the JSON body nests deeper than ${maxDepth} levels`,
    members: `the JSON body has more than ${maxMembers} array items and properties in all`,
    key: `a property name is longer than ${maxKeyBytes} bytes`,
  };
  return new BodyRefusal(`Invalid request: ${detail[problem]}.`);
}

/** Runs an Express body parser and settles with its outcome, as a contract error on failure. */
function run(parser: RequestHandler, request: Request, response: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void parser(request, response, (error?: unknown) => {
      if (error === undefined) {
        resolve();
        return;
      }
      const failure =
        error instanceof BodyRefusal
          ? new ApiError(400, 'validation_failed', error.message)
          : fromBodyParserError(error);
      reject(failure ?? (error instanceof Error ? error : new Error('the body parser failed')));
    });
  });
}
