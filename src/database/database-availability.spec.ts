import { QueryFailedError } from 'typeorm';
import {
  DatabaseGate,
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isDatabaseUnreachable,
} from './database-availability';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe(isDatabaseUnavailable.name, () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['the pool waiting too long', new Error('timeout exceeded when trying to connect')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ['the client-side query timeout', new Error('Query read timeout')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a statement timeout', withCode('canceling statement due to statement timeout', '57014')],
    ['a server shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ['a connection exception', withCode('connection failure', '08006')],
    ['the gate', new DatabaseUnavailableError()],
  ])('should count %s', (_case, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], error))).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key value', '23505')],
    ['a NUL in text', withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021')],
    ['a syntax error', withCode('syntax error at or near', '42601')],
    ['a programming error', new TypeError('x is undefined')],
    ['a non-error', 'boom'],
  ])('should not count %s', (_case, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('should tell a silent server from one that answers with an error', () => {
    expect(isDatabaseUnreachable(new Error('Query read timeout'))).toBe(true);
    expect(isDatabaseUnreachable(withCode('refused', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnreachable(withCode('sorry, too many clients already', '53300'))).toBe(false);
    expect(isDatabaseUnreachable(withCode('canceling statement', '57014'))).toBe(false);
  });
});

describe(DatabaseGate.name, () => {
  let now: number;
  let gate: DatabaseGate;

  beforeEach(() => {
    now = 0;
    gate = new DatabaseGate(1000, () => now);
  });

  it('should admit everyone while the database answers', () => {
    expect([gate.admit(), gate.admit()]).toEqual([true, true]);
    expect(gate.open).toBe(true);
  });

  it('should refuse at once after a failure, then let one caller probe per retry period', () => {
    gate.failed();
    expect(gate.admit()).toBe(false);
    now = 999;
    expect(gate.admit()).toBe(false);
    now = 1000;
    expect(gate.admit()).toBe(true);
    expect(gate.admit()).toBe(false);
    now = 2000;
    expect(gate.admit()).toBe(true);
  });

  it('should open again on any success', () => {
    gate.failed();
    gate.succeeded();
    expect(gate.admit()).toBe(true);
    expect(gate.open).toBe(true);
  });
});
