import { Logger } from '@nestjs/common';
import { OcrPatterns } from '@app/contracts';
import { ApiError } from '../common/errors/api-error';
import { healthAnswer, refused, ScriptedChannel, silent } from './testing/scripted-channel';
import { WorkerLink } from './worker-link';

const settle = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A link over two data channels and one control channel answering `probes`. */
function link(probes: ScriptedChannel['replies']) {
  const channels: ScriptedChannel[] = [];
  const created = new WorkerLink(
    () => {
      const channel = new ScriptedChannel();
      channels.push(channel);
      return channel;
    },
    { endpoint: '127.0.0.1:5003', connections: 2, healthTimeoutMs: 100, probeIntervalMs: 60 },
  );
  const control = channels[channels.length - 1];
  control.replies.push(...probes);
  return { link: created, data: channels.slice(0, -1), control };
}

describe(WorkerLink.name, () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('should spread calls over its connections by the bytes in flight on each', () => {
    const { link: worker, data } = link([]);
    const big = worker.lease(10_000_000);
    const small = worker.lease(1_000);
    const next = worker.lease(1_000);
    expect(big.channel).toBe(data[0]);
    expect(small.channel).toBe(data[1]);
    expect(next.channel).toBe(data[1]);
    big.release();
    expect(worker.lease(5).channel).toBe(data[0]);
  });

  it('should take a worker that leaves a probe unanswered out of service, drop its connections, and put it back', async () => {
    const { link: worker, data, control } = link([healthAnswer(), silent, healthAnswer({ model: 'back' })]);
    worker.start();
    await settle();
    expect(worker.inService).toBe(true);
    expect(worker.lastHealth?.model).toBe('PP-OCRv4 probe');
    const frozenAt = Date.now();
    while (worker.inService) {
      await settle(10);
    }
    // The next probe goes out within the interval and fails after HEALTH_TIMEOUT_MS.
    expect(Date.now() - frozenAt).toBeLessThan(400);
    expect(data.map((channel) => channel.drops)).toEqual([1, 1]);
    expect(control.drops).toBe(1);
    expect(() => worker.lease(1)).toThrow(ApiError);
    expect(worker.lastHealth).toBeUndefined();
    while (!worker.inService) {
      await settle(10);
    }
    expect(worker.lastHealth?.model).toBe('back');
    expect(control.sent.every(({ pattern }) => pattern === OcrPatterns.health)).toBe(true);
    worker.stop();
  });

  it('should keep a worker in service whose probe is late while it answers calls', async () => {
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const { link: worker, control } = link([healthAnswer(), silent, ...Array(20).fill(healthAnswer())]);
    worker.start();
    await settle();
    const probesBefore = control.sent.length;
    // The silent probe is out: the worker answers calls on its data connections meanwhile.
    const answering = setInterval(() => {
      const lease = worker.lease(1);
      lease.answered();
      lease.release();
    }, 20);
    try {
      await settle(250);
      expect(control.sent.length).toBeGreaterThan(probesBefore);
      expect(worker.inService).toBe(true);
      expect(control.drops).toBe(1);
    } finally {
      clearInterval(answering);
      worker.stop();
    }
  });

  it('should take a worker out whose calls were answered only before the probe went unanswered', async () => {
    const { link: worker } = link([healthAnswer(), silent]);
    worker.start();
    await settle();
    const lease = worker.lease(1);
    lease.answered();
    lease.release();
    await settle(250);
    expect(worker.inService).toBe(false);
    worker.stop();
  });

  it('should be out of service while the worker refuses connections', async () => {
    const { link: worker } = link([refused]);
    expect(worker.inService).toBe(true);
    worker.start();
    await settle();
    expect(worker.inService).toBe(false);
    expect(() => worker.lease(1)).toThrow(expect.objectContaining({ code: 'worker_unavailable' }));
    worker.stop();
  });

  it('should never have two probes out at once', async () => {
    const { link: worker, control } = link([silent]);
    worker.start();
    await settle(80);
    expect(control.sent).toHaveLength(1);
    worker.stop();
  });
});
