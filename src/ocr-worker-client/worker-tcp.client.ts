import { Logger } from '@nestjs/common';
import { ClientTCP, TcpClientOptions, TcpSocket } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import { OcrPatterns, type WorkerHealth } from '@app/contracts';

export type WorkerTcpClientOptions = Required<TcpClientOptions>['options'] & {
  /** A connection attempt not established within this is abandoned with WorkerConnectTimeoutError. */
  connectTimeoutMs: number;
};

/** The worker did not complete the TCP handshake in time: a frozen process or a dropped SYN. */
export class WorkerConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(timeoutMs: number) {
    super(`The OCR worker did not accept a connection within ${timeoutMs} ms.`);
    this.name = WorkerConnectTimeoutError.name;
  }
}

/**
 * Nest's TCP client with a connect timeout. ClientTCP caches its connection promise and has no
 * timeout of its own: when the handshake never completes (a frozen worker whose accept queue is
 * full, a host that drops SYNs) every later `send` waits on that promise until the kernel gives
 * up, minutes later. Destroying the socket when the timer fires makes ClientTCP forget it (its
 * close handler clears the promise), so the next `send` dials afresh and reconnects by itself
 * once the worker is back.
 */
export class WorkerTcpClient extends ClientTCP {
  private readonly log = new Logger('WorkerClient');
  private readonly connectTimeoutMs: number;

  constructor(options: WorkerTcpClientOptions) {
    const { connectTimeoutMs, ...tcp } = options;
    super(tcp);
    this.connectTimeoutMs = connectTimeoutMs;
  }

  override createSocket(): TcpSocket {
    const socket = super.createSocket();
    const net = socket.netSocket;
    // The verdict waits one more I/O poll: after this gateway's event loop was blocked (parsing
    // large uploads), timers run before the sockets are read, and a handshake already completed
    // would otherwise be taken for a frozen worker.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (net.connecting) {
            net.destroy(new WorkerConnectTimeoutError(this.connectTimeoutMs));
          }
        }),
      this.connectTimeoutMs,
    );
    const clear = (): void => clearTimeout(timer);
    net.once('connect', clear);
    net.once('close', clear);
    return socket;
  }

  health(): Observable<WorkerHealth> {
    return this.send<WorkerHealth>(OcrPatterns.health, {});
  }

  /**
   * Drops the current connection, for a worker that stopped answering on it (a frozen process, a
   * host gone without closing): requests still waiting on it fail with "Connection closed" and the
   * next `send` dials afresh, which the connect timeout bounds. Destroying (not ending) the socket
   * lets ClientTCP's own close handler forget it before anything else can use it.
   */
  dropConnection(): void {
    this.socket?.netSocket.destroy();
  }

  /**
   * ClientTCP logs the error object with its stack, at every failed attempt; WorkerLink logs the
   * worker going out of and back into service once each, so a code at debug level is enough here.
   */
  override handleError(error: unknown): void {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    this.log.debug(`OCR worker connection failed${typeof code === 'string' ? ` (${code})` : ''}.`);
  }
}
