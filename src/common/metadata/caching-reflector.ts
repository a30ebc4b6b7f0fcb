import { Reflector } from '@nestjs/core';

/** A class or a handler, as Reflector takes them. */
type Target = Parameters<Reflector['get']>[1];

/**
 * A Reflector that reads each decorator's metadata of a class or handler once. Metadata is fixed
 * once the application is built, but the global guards ask for it on every request (the key
 * guard and the scope guard for `@Scopes`, the throttler for its six options per throttler),
 * each a walk of reflect-metadata's maps. Answers, `undefined` included, are kept per target in
 * a WeakMap; everything else (and every miss) is `source`'s.
 */
export class CachingReflector extends Reflector {
  private readonly answers = new WeakMap<object, Map<unknown, unknown>>();

  constructor(private readonly source: Reflector = new Reflector()) {
    super();
  }

  override get<TResult = unknown, TKey = unknown>(metadataKey: TKey, target: Target): TResult {
    let known = this.answers.get(target);
    if (known === undefined) {
      known = new Map();
      this.answers.set(target, known);
    }
    if (known.has(metadataKey)) {
      return known.get(metadataKey) as TResult;
    }
    const answer = this.source.get<TResult, TKey>(metadataKey, target);
    known.set(metadataKey, answer);
    return answer;
  }
}
