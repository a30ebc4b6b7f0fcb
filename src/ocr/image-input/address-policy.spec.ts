import { BlockedRange, classifyAddress, Ipv4Embedding } from './address-policy';

describe(classifyAddress.name, () => {
  const blockedIpv4: Array<[string, BlockedRange]> = [
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['10.0.0.0', 'private'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.0', 'carrierGradeNat'],
    ['100.100.100.200', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['127.0.0.1', 'loopback'],
    ['127.0.0.2', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.0.1', 'linkLocal'],
    ['169.254.169.254', 'linkLocal'],
    ['169.254.255.255', 'linkLocal'],
    ['172.16.0.0', 'private'],
    ['172.20.1.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.1', 'ietfProtocol'],
    ['192.0.0.170', 'ietfProtocol'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', 'relay6to4'],
    ['192.168.0.1', 'private'],
    ['192.168.255.255', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['233.252.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['250.1.2.3', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
  ];

  it.each(blockedIpv4)('should refuse the IPv4 address %s as %s', (address, range) => {
    expect(classifyAddress(address)).toEqual({ allowed: false, range });
  });

  const allowedIpv4 = [
    '93.184.216.34',
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255', // just below 10/8
    '11.0.0.0', // just above 10/8
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above CGNAT
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255', // just below 172.16/12
    '172.32.0.0', // just above 172.16/12
    '192.0.1.0',
    '192.0.3.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255', // last unicast before multicast
  ];

  it.each(allowedIpv4)('should allow the public IPv4 address %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true });
  });

  const blockedIpv6: Array<[string, BlockedRange]> = [
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:0', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', 'loopback'],
    ['::7f00:1', 'ipv4Compatible'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::5db8:d822', 'ipv4Compatible'], // compatible form of a public address: deprecated, refused
    ['::93.184.216.34', 'ipv4Compatible'], // the same, dotted: not the mapped ::ffff:93.184.216.34
    ['64:ff9b:1::a00:1', 'nat64Local'],
    ['100::1', 'discardOnly'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456:789a::1', 'uniqueLocal'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['febf:ffff::1', 'linkLocal'],
    ['fec0::1', 'siteLocal'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001::1', 'teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['2001:2::1', 'ietfProtocol'], // benchmarking
    ['2001:10::1', 'ietfProtocol'], // ORCHID
    ['2001:20::1', 'ietfProtocol'], // ORCHIDv2
    ['2001:1ff::1', 'ietfProtocol'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8:ffff::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['3fff:fff::1', 'documentation'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
    ['5f00::1', 'reserved'],
    ['::2:0:0', 'reserved'],
  ];

  it.each(blockedIpv6)('should refuse the IPv6 address %s as %s', (address, range) => {
    expect(classifyAddress(address)).toEqual({ allowed: false, range });
  });

  const blockedEmbeddings: Array<[string, BlockedRange, Ipv4Embedding]> = [
    ['::ffff:127.0.0.1', 'loopback', 'ipv4Mapped'],
    ['::ffff:7f00:1', 'loopback', 'ipv4Mapped'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback', 'ipv4Mapped'],
    ['::FFFF:7F00:1', 'loopback', 'ipv4Mapped'],
    ['::ffff:10.0.0.1', 'private', 'ipv4Mapped'],
    ['::ffff:a9fe:a9fe', 'linkLocal', 'ipv4Mapped'],
    ['::ffff:0.0.0.0', 'unspecified', 'ipv4Mapped'],
    ['::ffff:192.168.1.1', 'private', 'ipv4Mapped'],
    ['::ffff:100.64.0.1', 'carrierGradeNat', 'ipv4Mapped'],
    ['::ffff:224.0.0.1', 'multicast', 'ipv4Mapped'],
    ['::ffff:255.255.255.255', 'broadcast', 'ipv4Mapped'],
    ['::ffff:0:127.0.0.1', 'loopback', 'ipv4Translated'],
    ['::ffff:0:a00:1', 'private', 'ipv4Translated'],
    ['64:ff9b::127.0.0.1', 'loopback', 'nat64'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal', 'nat64'],
    ['64:ff9b::c0a8:101', 'private', 'nat64'],
    ['2002:7f00:1::', 'loopback', '6to4'],
    ['2002:7f00:0001:ffff::1', 'loopback', '6to4'],
    ['2002:a00:1::1', 'private', '6to4'],
    ['2002:c0a8:101::1', 'private', '6to4'],
    ['2002:a9fe:a9fe::', 'linkLocal', '6to4'],
    ['2002::1', 'unspecified', '6to4'],
  ];

  it.each(blockedEmbeddings)(
    'should refuse %s, which embeds a %s IPv4 address (%s)',
    (address, range, via) => {
      expect(classifyAddress(address)).toEqual({ allowed: false, range, via });
    },
  );

  const allowedIpv6 = [
    '2606:2800:220:1::',
    '2606:2800:220:1:248:1893:25c8:1946',
    '2a00:1450:4001:80b::200e',
    '2001:4860:4860::8888',
    '2001:200::1', // first block after 2001::/23
    '2001:db7:ffff::1',
    '2001:db9::1',
    '3ffe:ffff::1',
    '3fff:1000::1', // just above 3fff::/20
    '::ffff:93.184.216.34', // mapped public
    '::ffff:0:808:808', // translated public
    '::ffff:0:8.8.8.8',
    '64:ff9b::5db8:d822', // NAT64 of a public address
    '2002:5db8:d822::1', // 6to4 of a public address
  ];

  it.each(allowedIpv6)('should allow the public IPv6 address %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true });
  });

  // The URL parser normalises these before classification; arriving raw they must fail closed.
  const unnormalised = [
    '2130706433',
    '0x7f000001',
    '0177.0.0.1',
    '127.1',
    '0x7f.0.0.1',
    '127.0.0.1.',
    ' 127.0.0.1',
    '[::1]',
    'localhost',
    '',
    '1.2.3.4.5',
    '256.0.0.1',
  ];

  it.each(unnormalised)('should refuse the unnormalised spelling %j as invalid', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: false, range: 'invalid' });
  });
});
