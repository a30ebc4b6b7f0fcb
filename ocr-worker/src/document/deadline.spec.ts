import { withDeadline } from './deadline';

describe(withDeadline.name, () => {
  it('should fail a step that never settles with timeout once the deadline passes, and stop it', async () => {
    const stopped = jest.fn();
    const never = new Promise<never>(() => undefined);
    const started = Date.now();
    await expect(withDeadline(never, Date.now() + 50, stopped)).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(stopped).toHaveBeenCalledTimes(1);
  });

  it('should fail at once when the deadline has already passed', async () => {
    const stopped = jest.fn();
    await expect(withDeadline(Promise.resolve(1), Date.now() - 1, stopped)).rejects.toMatchObject({
      code: 'timeout',
    });
    expect(stopped).toHaveBeenCalledTimes(1);
  });

  it('should pass on what the step answers or throws in time', async () => {
    await expect(withDeadline(Promise.resolve('done'), Date.now() + 1000)).resolves.toBe('done');
    const failure = new Error('broken');
    await expect(withDeadline(Promise.reject(failure), Date.now() + 1000)).rejects.toBe(failure);
  });
});
