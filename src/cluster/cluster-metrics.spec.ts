import type { Worker } from 'node:cluster';
import { Counter, Registry } from 'prom-client';
import { ClusterMetricsPrimary } from './cluster-metrics';

type Sent = { type: string; id: string; text?: string; error?: string };

/** A gateway process as the primary sees it: answers a collect with its registry, unless `silent`. */
function fakeProcess(
  id: number,
  primary: () => ClusterMetricsPrimary,
  registry: Registry,
  options: { silent?: boolean } = {},
): { worker: Worker; sent: Sent[] } {
  const sent: Sent[] = [];
  const worker = {
    id,
    isConnected: () => true,
    send: (message: Sent) => {
      sent.push(message);
      if (message.type === 'secure-ocr:metrics:collect' && !options.silent) {
        void registry.getMetricsAsJSON().then((metrics) =>
          primary().onMessage(worker, { type: 'secure-ocr:metrics:part', id: message.id, metrics: [metrics] }),
        );
      }
      return true;
    },
  } as unknown as Worker;
  return { worker, sent };
}

function registryWith(count: number): Registry {
  const registry = new Registry();
  new Counter({ name: 'auth_failures_total', help: 'h', labelNames: ['reason'], registers: [registry] }).inc(
    { reason: 'revoked' },
    count,
  );
  return registry;
}

async function answerTo(asker: { sent: Sent[] }): Promise<Sent> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const merged = asker.sent.find((message) => message.type === 'secure-ocr:metrics:merged');
    if (merged) {
      return merged;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('no answer');
}

describe(ClusterMetricsPrimary.name, () => {
  it('should answer a process that asks with every serving process counted once, and its own gauges', async () => {
    const primary = new ClusterMetricsPrimary();
    const a = fakeProcess(1, () => primary, registryWith(2));
    const b = fakeProcess(2, () => primary, registryWith(3));
    primary.listening(a.worker);
    primary.listening(b.worker);
    primary.restarted();

    primary.onMessage(b.worker, { type: 'secure-ocr:metrics:ask', id: 'q1' });
    const merged = await answerTo(b);

    expect(merged.id).toBe('q1');
    expect(merged.text).toContain('auth_failures_total{reason="revoked"} 5');
    expect(merged.text).toContain('gateway_processes 2');
    expect(merged.text).toContain('gateway_process_restarts_total 1');
    expect(a.sent.filter((message) => message.type === 'secure-ocr:metrics:merged')).toEqual([]);
  });

  it('should stop waiting for a process that exits during a collection, its counts gone with it', async () => {
    const primary = new ClusterMetricsPrimary();
    const a = fakeProcess(1, () => primary, registryWith(2));
    const dying = fakeProcess(2, () => primary, registryWith(3), { silent: true });
    primary.listening(a.worker);
    primary.listening(dying.worker);

    primary.onMessage(a.worker, { type: 'secure-ocr:metrics:ask', id: 'q2' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    primary.exited(dying.worker);
    const merged = await answerTo(a);

    expect(merged.text).toContain('auth_failures_total{reason="revoked"} 2');
    expect(merged.text).toContain('gateway_processes 1');
  });

  it('should fail the scrape when a serving process reports an error rather than leave its counts out', async () => {
    const primary = new ClusterMetricsPrimary();
    const a = fakeProcess(1, () => primary, registryWith(2));
    const broken = {
      id: 2,
      isConnected: () => true,
      send: (message: Sent) => {
        if (message.type === 'secure-ocr:metrics:collect') {
          primary.onMessage(broken, { type: 'secure-ocr:metrics:part', id: message.id, error: 'collect failed' });
        }
        return true;
      },
    } as unknown as Worker;
    primary.listening(a.worker);
    primary.listening(broken);

    primary.onMessage(a.worker, { type: 'secure-ocr:metrics:ask', id: 'q3' });
    const merged = await answerTo(a);

    expect(merged.text).toBeUndefined();
    expect(merged.error).toBe('collect failed');
  });

  it('should ignore messages that are not its own', () => {
    const primary = new ClusterMetricsPrimary();
    const a = fakeProcess(1, () => primary, registryWith(1));
    primary.listening(a.worker);
    expect(() => primary.onMessage(a.worker, { cmd: 'NODE_CLUSTER' })).not.toThrow();
    expect(() => primary.onMessage(a.worker, null)).not.toThrow();
    expect(a.sent).toEqual([]);
  });
});
