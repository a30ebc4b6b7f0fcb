import { ConfigError, loadConfig } from '../config';

describe('rate-limit configuration', () => {
  it('should default to a generous per-address limit and a namespaced Redis prefix', () => {
    expect(loadConfig({}, '/srv/app').rateLimit).toEqual({ ipRps: 20, ipBurst: 60, redisPrefix: 'ocr:rl:' });
  });

  it('should read the per-address limit, a fractional rate and 0 for off', () => {
    const config = loadConfig(
      { IP_RATE_LIMIT_RPS: '0.5', IP_RATE_LIMIT_BURST: '3', RATE_LIMIT_REDIS_PREFIX: 'staging:rl:' },
      '/srv/app',
    );
    expect(config.rateLimit).toEqual({ ipRps: 0.5, ipBurst: 3, redisPrefix: 'staging:rl:' });
    expect(loadConfig({ IP_RATE_LIMIT_RPS: '0' }, '/srv/app').rateLimit.ipRps).toBe(0);
  });

  it.each([
    ['IP_RATE_LIMIT_RPS', '-1'],
    ['IP_RATE_LIMIT_RPS', 'many'],
    ['IP_RATE_LIMIT_BURST', '0'],
    ['IP_RATE_LIMIT_BURST', '2.5'],
    ['RATE_LIMIT_REDIS_PREFIX', 'has space'],
  ])('should refuse %s=%s, naming the variable', (name, value) => {
    const load = (): unknown => loadConfig({ [name]: value }, '/srv/app');
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(name));
  });
});
