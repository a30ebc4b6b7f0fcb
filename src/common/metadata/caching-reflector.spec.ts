import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CachingReflector } from './caching-reflector';

const ROLE = 'role';

@SetMetadata(ROLE, 'class')
class Routes {
  @SetMetadata(ROLE, 'handler')
  own(): void {}

  inherited(): void {}
}

class Bare {
  plain(): void {}
}

describe(CachingReflector.name, () => {
  it('should answer what Reflector answers, the handler overriding its class', () => {
    const plain = new Reflector();
    const caching = new CachingReflector(plain);
    for (const targets of [
      [Routes.prototype.own, Routes],
      [Routes.prototype.inherited, Routes],
      [Bare.prototype.plain, Bare],
    ]) {
      expect(caching.getAllAndOverride(ROLE, targets)).toBe(plain.getAllAndOverride(ROLE, targets));
    }
    expect(caching.getAllAndOverride(ROLE, [Routes.prototype.own, Routes])).toBe('handler');
    expect(caching.getAllAndOverride(ROLE, [Routes.prototype.inherited, Routes])).toBe('class');
    expect(caching.getAllAndOverride(ROLE, [Bare.prototype.plain, Bare])).toBeUndefined();
  });

  it('should read each key of each target once, absent metadata included', () => {
    const source = new Reflector();
    const get = jest.spyOn(source, 'get');
    const caching = new CachingReflector(source);
    for (let i = 0; i < 5; i++) {
      caching.getAllAndOverride(ROLE, [Bare.prototype.plain, Bare]);
      caching.getAllAndOverride('other', [Bare.prototype.plain, Bare]);
    }
    expect(get).toHaveBeenCalledTimes(4);
    expect(caching.get(ROLE, Routes)).toBe('class');
    expect(get).toHaveBeenCalledTimes(5);
  });
});
