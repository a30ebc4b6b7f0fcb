import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { LastUsedRecorder } from './last-used.recorder';

describe(LastUsedRecorder.name, () => {
  let touchLastUsed: jest.Mock;
  let recorder: LastUsedRecorder;

  beforeEach(() => {
    touchLastUsed = jest.fn(() => Promise.resolve());
    recorder = new LastUsedRecorder({ touchLastUsed } as unknown as ApiKeyRepository, 60_000);
  });

  it('should write the latest use of every key in one call', async () => {
    recorder.record('a', new Date(1000));
    recorder.record('b', new Date(2000));
    recorder.record('a', new Date(3000));
    await recorder.flush();
    expect(touchLastUsed).toHaveBeenCalledTimes(1);
    expect(touchLastUsed).toHaveBeenCalledWith(
      new Map([
        ['a', new Date(3000)],
        ['b', new Date(2000)],
      ]),
    );
  });

  it('should not write when nothing was used', async () => {
    await recorder.flush();
    expect(touchLastUsed).not.toHaveBeenCalled();
  });

  it('should keep the uses of a failed write for the next flush, preferring newer ones', async () => {
    touchLastUsed.mockRejectedValueOnce(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }));
    recorder.record('a', new Date(1000));
    recorder.record('b', new Date(1000));
    await recorder.flush();
    recorder.record('b', new Date(5000));
    await recorder.flush();
    expect(touchLastUsed).toHaveBeenLastCalledWith(
      new Map([
        ['b', new Date(5000)],
        ['a', new Date(1000)],
      ]),
    );
  });

  it('should flush on the timer and once more on shutdown', async () => {
    jest.useFakeTimers();
    try {
      recorder.onModuleInit();
      recorder.record('a');
      await jest.advanceTimersByTimeAsync(60_000);
      expect(touchLastUsed).toHaveBeenCalledTimes(1);
      recorder.record('b');
      await recorder.onModuleDestroy();
      expect(touchLastUsed).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(120_000);
      expect(touchLastUsed).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
