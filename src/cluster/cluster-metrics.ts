import { randomUUID } from 'node:crypto';
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, register, Registry } from 'prom-client';

/**
 * GET /metrics of a gateway cluster (GATEWAY_PROCESSES > 1). Prometheus reaches one port and the
 * primary hands each scrape to whichever process is next, so a process's own counters would jump
 * from one scrape to the next; every scrape is answered with the sum over all the processes
 * instead, as one gateway's. The process that got the scrape asks the primary (`ask`), the primary
 * collects every serving process's registry as JSON (`collect` / `part`) and merges them with
 * prom-client's AggregatorRegistry (counters and histograms summed, gauges summed unless the
 * metric says otherwise), adds its own two metrics and answers (`merged`). A process that does
 * not answer in time fails the scrape rather than leave its counts out of it: a sum that drops a
 * process would read as a counter reset.
 */

const ASK = 'secure-ocr:metrics:ask';
const COLLECT = 'secure-ocr:metrics:collect';
const PART = 'secure-ocr:metrics:part';
const MERGED = 'secure-ocr:metrics:merged';

/** The primary's wait for every process's part; the asking process waits a little longer. */
export const COLLECT_TIMEOUT_MS = 3000;
const ASK_TIMEOUT_MS = COLLECT_TIMEOUT_MS + 1000;

/** One registry's metrics, as `getMetricsAsJSON` gives them and `AggregatorRegistry.aggregate` takes them. */
type RegistryJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

type Message =
  | { type: typeof ASK; id: string }
  | { type: typeof COLLECT; id: string }
  | { type: typeof PART; id: string; metrics?: RegistryJson[]; error?: string }
  | { type: typeof MERGED; id: string; text?: string; error?: string };

function isMessage(value: unknown): value is Message {
  const candidate = value as { type?: unknown; id?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    [ASK, COLLECT, PART, MERGED].includes(candidate.type as string)
  );
}

interface Collection {
  /** Processes whose part is awaited. */
  readonly waiting: Set<number>;
  readonly parts: RegistryJson[];
  readonly finish: (error?: string) => void;
}

/** The primary's side: its own metrics, and the merge of every serving process's. */
export class ClusterMetricsPrimary {
  private readonly registry = new Registry();
  private readonly serving = new Map<number, Worker>();
  private readonly collections = new Map<string, Collection>();
  private readonly restarts: Counter;

  constructor() {
    const serving = this.serving;
    new Gauge({
      name: 'gateway_processes',
      help: 'Gateway processes serving the port (GATEWAY_PROCESSES; fewer while one is being restarted).',
      registers: [this.registry],
      collect() {
        this.set(serving.size);
      },
    });
    this.restarts = new Counter({
      name: 'gateway_process_restarts_total',
      help: 'Gateway processes restarted by the primary after they died.',
      registers: [this.registry],
    });
  }

  listening(worker: Worker): void {
    this.serving.set(worker.id, worker);
  }

  restarted(): void {
    this.restarts.inc();
  }

  /** A process gone is no longer waited for: its counts went with it. */
  exited(worker: Worker): void {
    this.serving.delete(worker.id);
    for (const collection of this.collections.values()) {
      if (collection.waiting.delete(worker.id) && collection.waiting.size === 0) {
        collection.finish();
      }
    }
  }

  onMessage(worker: Worker, message: unknown): void {
    if (!isMessage(message)) {
      return;
    }
    if (message.type === ASK) {
      void this.merge().then(
        (text) => this.send(worker, { type: MERGED, id: message.id, text }),
        (error: Error) => this.send(worker, { type: MERGED, id: message.id, error: error.message }),
      );
    } else if (message.type === PART) {
      const collection = this.collections.get(message.id);
      if (collection?.waiting.delete(worker.id)) {
        if (message.error !== undefined) {
          collection.finish(message.error);
          return;
        }
        collection.parts.push(...(message.metrics ?? []));
        if (collection.waiting.size === 0) {
          collection.finish();
        }
      }
    }
  }

  private async merge(): Promise<string> {
    const id = randomUUID();
    const parts: RegistryJson[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish('not every gateway process reported its metrics in time'), COLLECT_TIMEOUT_MS);
      const finish = (error?: string): void => {
        clearTimeout(timer);
        this.collections.delete(id);
        if (error === undefined) {
          resolve();
        } else {
          reject(new Error(error));
        }
      };
      const waiting = new Set<number>();
      this.collections.set(id, { waiting, parts, finish });
      for (const worker of this.serving.values()) {
        if (worker.isConnected()) {
          waiting.add(worker.id);
          this.send(worker, { type: COLLECT, id });
        }
      }
      if (waiting.size === 0) {
        finish();
      }
    });
    // Its own last, so that `gateway_processes` counts the processes whose parts are in.
    parts.push(await this.registry.getMetricsAsJSON());
    return AggregatorRegistry.aggregate(parts).metrics();
  }

  private send(worker: Worker, message: Message): void {
    if (worker.isConnected()) {
      worker.send(message);
    }
  }
}

/** A gateway process's side: hands its registry to the primary, and asks it for the merge. */
export class ClusterMetricsWorker {
  private readonly asked = new Map<string, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  private readonly listener = (message: unknown): void => this.onMessage(message);

  constructor(private readonly registry: Registry = register) {
    process.on('message', this.listener);
  }

  /** The cluster's metrics in Prometheus text; rejects when the primary cannot say them in time. */
  merged(): Promise<string> {
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.asked.delete(id);
        reject(new Error('the gateway primary did not answer'));
      }, ASK_TIMEOUT_MS);
      this.asked.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send?.({ type: ASK, id } satisfies Message);
    });
  }

  close(): void {
    process.off('message', this.listener);
  }

  private onMessage(message: unknown): void {
    if (!isMessage(message)) {
      return;
    }
    if (message.type === COLLECT) {
      this.registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: PART, id: message.id, metrics: [metrics] } satisfies Message),
        (error: Error) => process.send?.({ type: PART, id: message.id, error: error.message } satisfies Message),
      );
    } else if (message.type === MERGED) {
      const asked = this.asked.get(message.id);
      this.asked.delete(message.id);
      if (message.text !== undefined) {
        asked?.resolve(message.text);
      } else {
        asked?.reject(new Error(message.error ?? 'no metrics'));
      }
    }
  }
}
