import type { WorkerHealth } from '@app/contracts';
import { FORGET_WORKER_AFTER_MS, NatsWorkerGroup } from './worker-nats.client';

const member = (instance: string): WorkerHealth => ({
  status: 'ok',
  instance,
  device: 'cpu',
  model: 'PP-OCRv4',
  lanes: 1,
  queueDepth: 0,
  inFlight: 0,
  maxQueue: 4,
});

describe(NatsWorkerGroup.name, () => {
  it('should call a member lost once it has not answered for lostAfterMs, once, and tell the listeners', () => {
    const group = new NatsWorkerGroup(1500);
    const lost = jest.fn();
    group.onLost(lost);
    expect(group.record([member('a:1'), member('b:2')], 0)).toEqual([]);
    // Censuses come often (every /health asks for one): missing several within the time is not lost.
    for (const at of [100, 200, 300, 1000, 1499]) {
      expect(group.record([member('a:1')], at)).toEqual([]);
    }
    expect(lost).not.toHaveBeenCalled();
    expect(group.record([member('a:1')], 1500)).toEqual(['b:2']);
    expect(group.record([member('a:1')], 1750)).toEqual([]);
    expect(lost).toHaveBeenCalledTimes(1);
    expect(group.known).toBe(2);
  });

  it('should call a member lost again after it came back and left again', () => {
    const group = new NatsWorkerGroup(1000);
    group.record([member('a:1'), member('b:2')], 0);
    expect(group.record([member('a:1')], 1000)).toEqual(['b:2']);
    group.record([member('a:1'), member('b:2')], 1200);
    expect(group.record([member('a:1')], 2200)).toEqual(['b:2']);
  });

  it('should forget a member gone for longer than FORGET_WORKER_AFTER_MS', () => {
    const group = new NatsWorkerGroup(1000);
    group.record([member('a:1'), member('b:2')], 0);
    group.record([member('a:1')], FORGET_WORKER_AFTER_MS + 1);
    expect(group.known).toBe(1);
  });
});
