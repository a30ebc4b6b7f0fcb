import {
  BadRequestException,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { IsIn, IsInt, IsString, Min } from 'class-validator';
import type { Request, Response } from 'express';
import type { PinoLogger } from 'nestjs-pino';
import type { ApiMetrics } from '../../metrics/api-metrics';
import { ApiError } from '../errors/api-error';
import { INTERNAL_ERROR_MESSAGE } from '../errors/to-api-error';
import { createValidationPipe } from '../pipes/validation.pipe';
import { AllExceptionsFilter, ErrorBody } from './all-exceptions.filter';

class CreateThingDto {
  @IsString()
  name!: string;

  @IsIn(['free', 'pro'])
  tier!: string;

  @IsInt()
  @Min(0)
  dailyLimit!: number;
}

interface Answer {
  status?: number;
  body?: ErrorBody;
  headers: Record<string, string>;
  destroyed: boolean;
}

function fakeExchange(options: { headersSent?: boolean; id?: string } = {}): {
  req: Request;
  res: Response;
  answer: Answer;
} {
  const answer: Answer = { headers: {}, destroyed: false };
  const req = {
    id: options.id ?? 'req_test',
    method: 'GET',
    path: '/nope',
    headers: {},
  } as unknown as Request;
  const res = {
    headersSent: options.headersSent ?? false,
    setHeader(name: string, value: string) {
      answer.headers[name] = value;
      return this;
    },
    status(code: number) {
      answer.status = code;
      return this;
    },
    json(body: ErrorBody) {
      answer.body = body;
      return this;
    },
    destroy() {
      answer.destroyed = true;
    },
  } as unknown as Response;
  return { req, res, answer };
}

/** body-parser's errors are http-errors with these fields. */
function bodyParserError(status: number, type: string, extra: object = {}): Error {
  return Object.assign(new Error('from body-parser'), {
    status,
    statusCode: status,
    expose: true,
    type,
    ...extra,
  });
}

describe(AllExceptionsFilter.name, () => {
  let logger: { error: jest.Mock };
  let refusal: jest.Mock;
  let filter: AllExceptionsFilter;

  beforeEach(() => {
    logger = { error: jest.fn() };
    refusal = jest.fn();
    filter = new AllExceptionsFilter(logger as unknown as PinoLogger, { refusal } as unknown as ApiMetrics);
  });

  function answer(exception: unknown): Answer {
    const exchange = fakeExchange();
    filter.respond(exception, exchange.req, exchange.res);
    return exchange.answer;
  }

  it('should render an ApiError in the contract shape with its headers', () => {
    const result = answer(new ApiError(429, 'rate_limited', 'Slow down.', { 'Retry-After': '3' }));
    expect(result.status).toBe(429);
    expect(result.body).toEqual({
      error: { code: 'rate_limited', message: 'Slow down.', requestId: 'req_test' },
    });
    expect(result.headers['Retry-After']).toBe('3');
    expect(logger.error).not.toHaveBeenCalled();
  });

  it("should count the limits' refusals by the key's tier, and none before authentication", () => {
    const exchange = fakeExchange();
    (exchange.req as unknown as { apiKey: { tier: string } }).apiKey = { tier: 'pro' };
    filter.respond(new ApiError(429, 'quota_exceeded', 'Used up.'), exchange.req, exchange.res);
    answer(new ApiError(429, 'rate_limited', 'Slow down.'));
    answer(new ApiError(401, 'invalid_api_key', 'No.'));
    expect(refusal.mock.calls).toEqual([
      ['quota_exceeded', 'pro'],
      ['rate_limited', undefined],
    ]);
  });

  it("should answer Nest's unknown-route 404 with a hint instead of its raw message", () => {
    const result = answer(new NotFoundException('Cannot GET /nope'));
    expect(result.status).toBe(404);
    expect(result.body?.error.code).toBe('not_found');
    expect(result.body?.error.message).toBe('No endpoint matches GET /nope. The API is described at /docs.');
  });

  it("should keep a 4xx HttpException's own message", () => {
    const result = answer(new NotFoundException('No key has this id.'));
    expect(result.body?.error).toEqual({
      code: 'not_found',
      message: 'No key has this id.',
      requestId: 'req_test',
    });
  });

  it('should join the messages of a default BadRequestException', () => {
    const result = answer(new BadRequestException(['name must be a string', 'tier must be free or pro']));
    expect(result.status).toBe(400);
    expect(result.body?.error.code).toBe('validation_failed');
    expect(result.body?.error.message).toBe('name must be a string; tier must be free or pro');
  });

  it('should answer ValidationPipe failures with 400 validation_failed naming each bad field', async () => {
    const pipe = createValidationPipe();
    const error: unknown = await pipe
      .transform(
        { name: 7, tier: 'gold', dailyLimit: 1, extra: true },
        { type: 'body', metatype: CreateThingDto },
      )
      .catch((e: unknown) => e);
    const result = answer(error);
    expect(result.status).toBe(400);
    expect(result.body?.error.code).toBe('validation_failed');
    expect(result.body?.error.message).toContain('name must be a string');
    expect(result.body?.error.message).toContain('tier must be one of the following values: free, pro');
    expect(result.body?.error.message).toContain('property extra should not exist');
    expect(result.body?.error.message).not.toContain('dailyLimit');
  });

  it.each([
    [
      bodyParserError(413, 'entity.too.large', { limit: 1024 }),
      413,
      'payload_too_large',
      'The request body exceeds the limit of 1024 bytes.',
    ],
    [
      bodyParserError(400, 'entity.parse.failed'),
      400,
      'validation_failed',
      'The request body is not valid JSON.',
    ],
    [
      bodyParserError(415, 'encoding.unsupported'),
      415,
      'unsupported_media_type',
      'The request body uses an unsupported Content-Encoding.',
    ],
    [
      bodyParserError(415, 'charset.unsupported'),
      415,
      'unsupported_media_type',
      'The request body uses an unsupported charset; send UTF-8.',
    ],
  ])('should map the body-parser error %#', (error, status, code, message) => {
    const result = answer(error);
    expect(result.status).toBe(status);
    expect(result.body?.error).toEqual({ code, message, requestId: 'req_test' });
  });

  it('should answer an unexpected error with 500 and log only its type and code', () => {
    const error = Object.assign(
      new Error('duplicate key value violates unique constraint; SELECT * FROM api_keys at /srv/app/x.js'),
      {
        code: '23505',
      },
    );
    const result = answer(error);
    expect(result.status).toBe(500);
    expect(result.body?.error).toEqual({
      code: 'internal_error',
      message: INTERNAL_ERROR_MESSAGE,
      requestId: 'req_test',
    });
    expect(logger.error).toHaveBeenCalledWith(
      { requestId: 'req_test', error: { type: 'Error', code: '23505' } },
      'unexpected error',
    );
    expect(JSON.stringify(logger.error.mock.calls)).not.toMatch(/SELECT|srv|stack/);
  });

  it('should hide the message of a 5xx HttpException not raised as ApiError', () => {
    const result = answer(new ServiceUnavailableException('pool exhausted at db.internal:5432'));
    expect(result.status).toBe(503);
    expect(result.body?.error.message).toBe(INTERNAL_ERROR_MESSAGE);
  });

  it('should map statuses without a code of their own to the nearest contract code', () => {
    expect(answer(new HttpException('Too Many Requests', 429)).body?.error.code).toBe('rate_limited');
    expect(answer(new HttpException('Gone', 410)).body?.error.code).toBe('validation_failed');
    expect(answer('a thrown string').body?.error.code).toBe('internal_error');
  });

  it('should assign a request id when none was set', () => {
    const exchange = fakeExchange();
    delete (exchange.req as { id?: string }).id;
    filter.respond(new NotFoundException('x'), exchange.req, exchange.res);
    expect(exchange.answer.body?.error.requestId).toMatch(/^req_/);
    expect(exchange.answer.headers['X-Request-Id']).toBe(exchange.answer.body?.error.requestId);
  });

  it('should cut the connection when the headers are already sent', () => {
    const exchange = fakeExchange({ headersSent: true });
    filter.respond(new Error('late'), exchange.req, exchange.res);
    expect(exchange.answer.destroyed).toBe(true);
    expect(exchange.answer.body).toBeUndefined();
  });
});
