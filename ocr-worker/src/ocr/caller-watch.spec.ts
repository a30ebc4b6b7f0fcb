import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { CallerWatch } from './caller-watch';

function fakeSocket(): Socket & EventEmitter {
  return Object.assign(new EventEmitter(), { destroyed: false }) as unknown as Socket & EventEmitter;
}

describe(CallerWatch.name, () => {
  it('should abort every job of a connection when it closes, and only those', () => {
    const watch = new CallerWatch();
    const one = fakeSocket();
    const other = fakeSocket();
    const a = watch.watch('a', one);
    const b = watch.watch('b', one);
    const c = watch.watch('c', other);
    one.emit('close');
    expect([a.signal.aborted, b.signal.aborted, c.signal.aborted]).toEqual([true, true, false]);
  });

  it('should abort a job the gateway cancels, and ignore unknown or answered ids', () => {
    const watch = new CallerWatch();
    const job = watch.watch('a', fakeSocket());
    watch.cancel('nope');
    expect(job.signal.aborted).toBe(false);
    watch.cancel('a');
    expect(job.signal.aborted).toBe(true);
    job.release();
    expect(watch.watched).toBe(0);
  });

  it('should not abort a released job when its connection closes later', () => {
    const watch = new CallerWatch();
    const socket = fakeSocket();
    const job = watch.watch('a', socket);
    job.release();
    socket.emit('close');
    expect(job.signal.aborted).toBe(false);
  });

  it('should abort at once a job whose connection is already gone', () => {
    const socket = Object.assign(fakeSocket(), { destroyed: true });
    expect(new CallerWatch().watch('a', socket).signal.aborted).toBe(true);
  });
});
