import pg from 'pg';
import { DatabaseGate, DatabaseUnavailableError, isDatabaseUnreachable } from './database-availability';

type ConnectCallback = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

const noop = (): void => undefined;

/**
 * node-postgres as TypeORM's `driver`, with the gateway's deadlines completed where Postgres
 * cannot enforce them itself:
 * - every pool checkout asks `gate` first, and a database that gave no answer fails at once;
 * - every query's outcome reports to `gate` (any answer from the server opens it);
 * - a connection whose query outlived the client-side `query_timeout` is closed, not handed to the
 *   next caller: its server may still be frozen on that query, and the pool opens a fresh one.
 */
export function gatedPgDriver(gate: DatabaseGate): typeof pg {
  class GatedPool extends pg.Pool {
    constructor(config?: pg.PoolConfig) {
      super(config);
      // A new connection's handshake is an answer from the server.
      this.on('connect', (client: pg.PoolClient) => {
        gate.succeeded();
        watchQueries(client, gate);
      });
    }

    override connect(): Promise<pg.PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
      const observe = (error: Error | undefined): void => {
        if (error !== undefined && isDatabaseUnreachable(error)) {
          gate.failed();
        }
      };
      if (!gate.admit()) {
        const error = new DatabaseUnavailableError();
        if (callback === undefined) {
          return Promise.reject(error);
        }
        process.nextTick(() => callback(error, undefined, noop));
        return;
      }
      if (callback === undefined) {
        return super.connect().catch((error: Error) => {
          observe(error);
          throw error;
        });
      }
      super.connect((error, client, done) => {
        observe(error);
        callback(error, client, done);
      });
    }
  }
  return { ...pg, Pool: GatedPool };
}

function watchQueries(client: pg.PoolClient, gate: DatabaseGate): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const watched = (...args: unknown[]): unknown => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.then(
        () => gate.succeeded(),
        (error: unknown) => {
          if (!isDatabaseUnreachable(error)) {
            gate.succeeded();
            return;
          }
          gate.failed();
          // With a query in flight, end() drops the socket, and the pool discards the client on release.
          client.end().catch(noop);
        },
      );
    }
    return result;
  };
  Object.assign(client, { query: watched });
}
