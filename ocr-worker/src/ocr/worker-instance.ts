import { hostname } from 'node:os';

/** This worker process among others (host name and pid): in its health answers and its NATS client name. */
export function workerInstance(): string {
  return `${hostname()}:${process.pid}`;
}
