import { createServer, STATUS_CODES, type ServerOptions, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { AppConfig } from '../../config';
import type { ApiErrorCode } from '../errors/api-error';
import { REQUEST_ID_HEADER, newRequestId } from '../middleware/request-id.middleware';

/** Headers Node parses per request (its default is 2000); a real client sends a dozen or two. */
const MAX_HEADERS_COUNT = 100;

/**
 * Node's own limits on a connection, so that a slow or malformed client cannot hold the gateway:
 * the request line and headers must arrive within `headersTimeoutMs` and fit in `maxHeaderBytes`,
 * the whole request (body included) within `requestTimeoutMs`, and an idle keep-alive connection
 * closes after `keepAliveTimeoutMs`. Node checks the timeouts every `connectionsCheckingInterval`
 * (30 s by default, which would let a slowloris client stay far past its deadline).
 */
export function httpServerOptions(config: AppConfig): ServerOptions {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxHeaderBytes } = config.http;
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    maxHeaderSize: maxHeaderBytes,
    connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
    // Node's own check answers a bare 400; requireHostMiddleware answers in the contract's shape.
    requireHostHeader: false,
  };
}

/**
 * Nest's Express adapter with an HTTP server built from `httpServerOptions` (Nest's own passes
 * none), whose refusals before any route runs (`clientError`) answer in the contract's shape.
 * TLS is nginx's job: `httpsOptions` is not supported.
 */
export class GatewayHttpAdapter extends ExpressAdapter {
  constructor(private readonly config: AppConfig) {
    super();
  }

  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions) {
      throw new Error('The gateway serves plain HTTP; terminate TLS in front of it (see deploy/)');
    }
    const server = createServer(httpServerOptions(this.config), this.getInstance());
    server.maxHeadersCount = MAX_HEADERS_COUNT;
    server.on('clientError', (error: Error, socket: Duplex) =>
      answerClientError(error, socket, this.config.http.maxHeaderBytes),
    );
    this.setHttpServer(server);
  }
}

interface Refusal {
  status: number;
  code: ApiErrorCode;
  message: string;
}

function refusalFor(error: Error, maxHeaderBytes: number): Refusal {
  switch ((error as { code?: unknown }).code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'headers_too_large',
        message: `The request headers exceed the limit of ${maxHeaderBytes} bytes.`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'request_timeout',
        message: 'The request did not arrive in time: send its headers and body without pauses.',
      };
    default:
      return {
        status: 400,
        code: 'validation_failed',
        message: 'The request is not valid HTTP/1.1: check its request line and headers.',
      };
  }
}

/**
 * Node's parser refused the request (malformed, headers too large, too slow): answer once in the
 * contract's shape, with a fresh request id (the client's cannot be trusted, the headers were not
 * parsed), and close the connection.
 */
export function answerClientError(error: Error, socket: Duplex, maxHeaderBytes: number): void {
  const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    // Nobody to answer, or part of another answer is on the wire already.
    socket.destroy();
    return;
  }
  const { status, code: errorCode, message } = refusalFor(error, maxHeaderBytes);
  const requestId = newRequestId();
  const body = JSON.stringify({ error: { code: errorCode, message, requestId } });
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `${REQUEST_ID_HEADER}: ${requestId}`,
      'Cache-Control: no-store',
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
    () => socket.destroy(),
  );
}
