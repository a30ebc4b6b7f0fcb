import { Logger } from '@nestjs/common';
import { NEVER } from 'rxjs';
import { loadConfig } from '../config';
import { healthAnswer, refused, ScriptedChannel, silent } from './testing/scripted-channel';
import { WorkerPool } from './worker-pool';

const settle = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Two workers, one data connection each; channels[worker] = [data, control]. */
function pool(probes: Array<ScriptedChannel['replies']>) {
  const config = loadConfig(
    {
      WORKER_URLS: '127.0.0.1:5003, tcp://127.0.0.1:5004',
      WORKER_CONNECTIONS: '1',
      HEALTH_TIMEOUT_MS: '100',
      WORKER_PROBE_INTERVAL_MS: '60',
    },
    '/',
  );
  const channels = new Map<number, ScriptedChannel[]>();
  const targets = config.worker.endpoints.map(({ host, port }) => ({
    endpoint: `${host}:${port}`,
    open: () => {
      const index = port - 5003;
      const list = channels.get(index) ?? [];
      const channel = new ScriptedChannel(list.length === 1 ? [...probes[index]] : []);
      list.push(channel);
      channels.set(index, list);
      return channel;
    },
  }));
  const created = new WorkerPool(targets, config);
  return { pool: created, channels };
}

describe(WorkerPool.name, () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('should read WORKER_URLS into one link per worker', () => {
    expect(pool([[], []]).pool.links.map((link) => link.endpoint)).toEqual([
      '127.0.0.1:5003',
      '127.0.0.1:5004',
    ]);
  });

  it('should send to the worker with the least work for its size', async () => {
    const { pool: workers } = pool([
      [healthAnswer({ lanes: 1, maxQueue: 1 })],
      [healthAnswer({ lanes: 4, maxQueue: 4 })],
    ]);
    workers.onModuleInit();
    await settle();
    const [small, large] = workers.links;
    expect(workers.capacity).toBe(10);
    expect(workers.pick()).toBe(small);
    small.lease(1);
    // One call on a 2-job worker weighs more than none on the 8-job one, and than one there.
    expect(workers.pick()).toBe(large);
    large.lease(1);
    expect(workers.pick()).toBe(large);
    workers.onModuleDestroy();
  });

  it('should leave out a worker that stops answering, and prefer another to the one that just failed', async () => {
    const { pool: workers } = pool([
      [healthAnswer(), silent],
      [healthAnswer(), healthAnswer(), healthAnswer(), healthAnswer(), () => NEVER],
    ]);
    workers.onModuleInit();
    await settle();
    const [first, second] = workers.links;
    expect(workers.pick(first)).toBe(second);
    while (first.inService) {
      await settle(10);
    }
    expect(workers.inService).toEqual([second]);
    expect(workers.pick()).toBe(second);
    workers.onModuleDestroy();
  });

  it('should answer worker_unavailable when no worker is in service', async () => {
    const { pool: workers } = pool([[refused], [refused]]);
    workers.onModuleInit();
    await settle();
    expect(() => workers.pick()).toThrow(expect.objectContaining({ code: 'worker_unavailable' }));
    expect(workers.capacity).toBeUndefined();
    workers.onModuleDestroy();
  });
});
