import { matchesCidrs, normalizeCidr, normalizeOrigin, parseCidrs } from './key-restrictions';

describe('key restrictions', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['HTTPS://App.Example.COM', 'https://app.example.com'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['http://localhost:80', 'http://localhost'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['https://app.example.com:8443', 'https://app.example.com:8443'],
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000'],
    ['http://[2001:DB8:0::1]:8080', 'http://[2001:db8::1]:8080'],
    ['capacitor://localhost', 'capacitor://localhost'],
  ])('should normalise the origin %s as browsers send it', (value, expected) => {
    expect(normalizeOrigin(value)).toBe(expected);
  });

  it.each([
    'https://app.example.com/',
    'https://app.example.com/path',
    'app.example.com',
    'https://',
    'https://*.example.com',
    'https://user@app.example.com',
    'https://app.example.com:0',
    'https://app.example.com:65536',
    'https://app.example.com?x=1',
    'https://-bad.example.com',
    'http://[not-v6]',
    'null',
    `https://${'a'.repeat(200)}.com`,
  ])('should refuse %j as an origin', (value) => {
    expect(normalizeOrigin(value)).toBeNull();
  });

  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['198.51.100.7', '198.51.100.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8:0:0::/32', '2001:db8::/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::/0', '::/0'],
  ])('should normalise the network %s', (value, expected) => {
    expect(normalizeCidr(value)).toBe(expected);
  });

  it.each([
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0/8',
    '0x7f.0.0.1',
    '127.1',
    'fe80::1%eth0',
    'example.com',
    '10.0.0.0/-1',
    '',
  ])('should refuse %j as a network', (value) => {
    expect(normalizeCidr(value)).toBeNull();
  });

  it('should match IPv4 and IPv6 clients, an IPv4-mapped client as IPv4, and nothing unparsable', () => {
    const cidrs = parseCidrs(['203.0.113.0/24', '2001:db8::/32']);
    expect(matchesCidrs('203.0.113.9', cidrs)).toBe(true);
    expect(matchesCidrs('::ffff:203.0.113.9', cidrs)).toBe(true);
    expect(matchesCidrs('2001:db8:1::5', cidrs)).toBe(true);
    expect(matchesCidrs('203.0.114.1', cidrs)).toBe(false);
    expect(matchesCidrs('2001:db9::1', cidrs)).toBe(false);
    expect(matchesCidrs('::ffff:cb00:7109', parseCidrs(['2001:db8::/32']))).toBe(false);
    expect(matchesCidrs(undefined, cidrs)).toBe(false);
    expect(matchesCidrs('not an address', cidrs)).toBe(false);
  });

  it('should make a stored network that does not parse match nothing rather than everything', () => {
    expect(parseCidrs(['garbage', '10.0.0.0/8'])).toHaveLength(1);
    expect(matchesCidrs('10.0.0.1', parseCidrs(['garbage']))).toBe(false);
  });
});
