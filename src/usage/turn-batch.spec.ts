import { TurnBatch } from './turn-batch';

describe(TurnBatch.name, () => {
  it('should answer the reads of one turn with one call, each its own value, a repeated key read once', async () => {
    const calls: string[][] = [];
    const batch = new TurnBatch<string, number>((keys) => {
      calls.push(keys);
      return Promise.resolve(new Map(keys.map((key) => [key, key.length])));
    });
    await expect(Promise.all([batch.read('a'), batch.read('bb'), batch.read('a')])).resolves.toEqual([
      1, 2, 1,
    ]);
    expect(calls).toEqual([['a', 'bb']]);
  });

  it('should not let a read join a batch already sent: it waits for the next call', async () => {
    const calls: string[][] = [];
    let answerFirst: () => void = () => undefined;
    const batch = new TurnBatch<string, number>((keys) => {
      calls.push(keys);
      const values = new Map(keys.map((key) => [key, calls.length]));
      return calls.length === 1
        ? new Promise((resolve) => (answerFirst = () => resolve(values)))
        : Promise.resolve(values);
    });
    const first = batch.read('a');
    await new Promise((resolve) => setImmediate(resolve));
    const second = batch.read('a');
    answerFirst();
    await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
    expect(calls).toEqual([['a'], ['a']]);
  });

  it('should hold the reads asked while a batch is in flight and send them in one call once it settles', async () => {
    const calls: string[][] = [];
    const answers: Array<() => void> = [];
    const batch = new TurnBatch<string, number>((keys) => {
      calls.push(keys);
      const values = new Map(keys.map((key) => [key, calls.length]));
      return new Promise((resolve) => answers.push(() => resolve(values)));
    });
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const first = batch.read('a');
    await turn();
    expect(calls).toEqual([['a']]);
    const held = [batch.read('a')];
    await turn();
    held.push(batch.read('b'));
    await turn();
    // Two turns, no second statement while the first is out.
    expect(calls).toEqual([['a']]);
    answers[0]();
    await expect(first).resolves.toBe(1);
    await turn();
    expect(calls).toEqual([['a'], ['a', 'b']]);
    answers[1]();
    await expect(Promise.all(held)).resolves.toEqual([2, 2]);
  });

  it('should send the held reads after a failed batch too, and survive a readMany that throws', async () => {
    let call = 0;
    const batch = new TurnBatch<string, number>((keys) => {
      call++;
      if (call === 1) {
        return new Promise((_resolve, reject) => setImmediate(() => reject(new Error('timeout'))));
      }
      if (call === 2) {
        throw new Error('thrown');
      }
      return Promise.resolve(new Map(keys.map((key) => [key, call])));
    });
    const first = batch.read('a');
    await new Promise((resolve) => setImmediate(resolve));
    const second = batch.read('a');
    await expect(first).rejects.toThrow('timeout');
    await expect(second).rejects.toThrow('thrown');
    await expect(batch.read('a')).resolves.toBe(3);
  });

  it('should fail every read of a failed batch, and a read whose key got no value', async () => {
    const failing = new TurnBatch<string, number>(() => Promise.reject(new Error('connection refused')));
    const reads = [failing.read('a'), failing.read('b')];
    await expect(reads[0]).rejects.toThrow('connection refused');
    await expect(reads[1]).rejects.toThrow('connection refused');
    const partial = new TurnBatch<string, number>(() => Promise.resolve(new Map([['a', 1]])));
    const [a, b] = [partial.read('a'), partial.read('b')];
    await expect(a).resolves.toBe(1);
    await expect(b).rejects.toThrow('no value');
  });

  it('should split a turn with more keys than maxKeys over several calls', async () => {
    const calls: string[][] = [];
    const batch = new TurnBatch<string, number>((keys) => {
      calls.push(keys);
      return Promise.resolve(new Map(keys.map((key) => [key, 0])));
    }, 2);
    await Promise.all(['a', 'b', 'c'].map((key) => batch.read(key)));
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });
});
