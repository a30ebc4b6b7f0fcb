import { isIP } from 'node:net';
import * as ipaddr from 'ipaddr.js';

/** Why an address may not be fetched from; for logs and tests, never for clients. */
export type BlockedRange =
  | 'invalid'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'carrierGradeNat'
  | 'linkLocal'
  | 'ietfProtocol'
  | 'documentation'
  | 'benchmarking'
  | 'relay6to4'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'ipv4Compatible'
  | 'nat64Local'
  | 'discardOnly'
  | 'uniqueLocal'
  | 'siteLocal'
  | 'teredo';

/** How an IPv6 address carries the IPv4 address that was judged. */
export type Ipv4Embedding = 'ipv4Mapped' | 'ipv4Translated' | 'nat64' | '6to4';

export type AddressVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly range: BlockedRange; readonly via?: Ipv4Embedding };

type Cidr<T> = [T, number];

function v4(cidr: string): Cidr<ipaddr.IPv4> {
  return ipaddr.IPv4.parseCIDR(cidr);
}

function v6(cidr: string): Cidr<ipaddr.IPv6> {
  return ipaddr.IPv6.parseCIDR(cidr);
}

/**
 * Every IPv4 block of the IANA special-purpose registry that is not globally reachable, plus the
 * deprecated 6to4 relay anycast. Broadcast precedes the reserved 240/4 that contains it.
 */
const BLOCKED_IPV4: ReadonlyArray<[Cidr<ipaddr.IPv4>, BlockedRange]> = [
  [v4('0.0.0.0/8'), 'unspecified'], // "this network": Linux connects 0.0.0.0 to the local host
  [v4('10.0.0.0/8'), 'private'],
  [v4('100.64.0.0/10'), 'carrierGradeNat'],
  [v4('127.0.0.0/8'), 'loopback'],
  [v4('169.254.0.0/16'), 'linkLocal'], // cloud metadata endpoints live here
  [v4('172.16.0.0/12'), 'private'],
  [v4('192.0.0.0/24'), 'ietfProtocol'],
  [v4('192.0.2.0/24'), 'documentation'],
  [v4('192.88.99.0/24'), 'relay6to4'],
  [v4('192.168.0.0/16'), 'private'],
  [v4('198.18.0.0/15'), 'benchmarking'],
  [v4('198.51.100.0/24'), 'documentation'],
  [v4('203.0.113.0/24'), 'documentation'],
  [v4('224.0.0.0/4'), 'multicast'],
  [v4('255.255.255.255/32'), 'broadcast'],
  [v4('240.0.0.0/4'), 'reserved'],
];

/** IPv6 forms whose meaning is an IPv4 address: judged by that address. */
const IPV4_EMBEDDINGS: ReadonlyArray<[Cidr<ipaddr.IPv6>, Ipv4Embedding]> = [
  [v6('::ffff:0:0/96'), 'ipv4Mapped'],
  [v6('::ffff:0:0:0/96'), 'ipv4Translated'],
  [v6('64:ff9b::/96'), 'nat64'],
  [v6('2002::/16'), '6to4'],
];

const UNSPECIFIED_V6 = v6('::/128');
const LOOPBACK_V6 = v6('::1/128');
/** Only the global unicast block is ever routable; inside it these are not. */
const GLOBAL_UNICAST_V6 = v6('2000::/3');

const BLOCKED_IPV6: ReadonlyArray<[Cidr<ipaddr.IPv6>, BlockedRange]> = [
  [v6('::/96'), 'ipv4Compatible'], // deprecated (RFC 4291); never a real destination
  [v6('64:ff9b:1::/48'), 'nat64Local'],
  [v6('100::/64'), 'discardOnly'],
  [v6('fc00::/7'), 'uniqueLocal'],
  [v6('fe80::/10'), 'linkLocal'],
  [v6('fec0::/10'), 'siteLocal'],
  [v6('ff00::/8'), 'multicast'],
  // Teredo embeds an obfuscated client address and a server address; nothing an image host
  // needs, so the whole prefix is refused rather than decoded.
  [v6('2001::/32'), 'teredo'],
  [v6('2001::/23'), 'ietfProtocol'],
  [v6('2001:db8::/32'), 'documentation'],
  [v6('3fff::/20'), 'documentation'],
];

const ALLOWED: AddressVerdict = { allowed: true };

/**
 * Decides whether the gateway may open a connection to an address. Takes the canonical text a
 * resolver or the WHATWG URL parser produces; anything else (octal, hex or short IPv4 forms)
 * fails closed, because those spellings must have been normalised before they get here.
 */
export function classifyAddress(address: string): AddressVerdict {
  const family = isIP(address);
  if (family === 4) {
    return classifyIpv4(ipaddr.IPv4.parse(address));
  }
  if (family === 6) {
    return classifyIpv6(ipaddr.IPv6.parse(hexOnlyIpv6(address)));
  }
  return { allowed: false, range: 'invalid' };
}

/**
 * ipaddr.js reads `::a.b.c.d` as the IPv4-mapped `::ffff:a.b.c.d`, while the network stack (and
 * the URL parser) read it as the IPv4-compatible `::xxxx:xxxx`. Rewriting the dotted tail as two hex
 * groups, and dropping a zone id, makes ipaddr.js judge the address that a socket would reach.
 */
function hexOnlyIpv6(address: string): string {
  const unzoned = address.replace(/%.*$/, '');
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(unzoned);
  if (!dotted) {
    return unzoned;
  }
  const [a, b, c, d] = dotted.slice(2).map(Number);
  return `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

function classifyIpv4(address: ipaddr.IPv4): AddressVerdict {
  const blocked = BLOCKED_IPV4.find(([cidr]) => address.match(cidr));
  return blocked ? { allowed: false, range: blocked[1] } : ALLOWED;
}

function classifyIpv6(address: ipaddr.IPv6): AddressVerdict {
  if (address.match(UNSPECIFIED_V6)) {
    return { allowed: false, range: 'unspecified' };
  }
  if (address.match(LOOPBACK_V6)) {
    return { allowed: false, range: 'loopback' };
  }
  const embedding = IPV4_EMBEDDINGS.find(([cidr]) => address.match(cidr));
  if (embedding) {
    const verdict = classifyIpv4(embeddedIpv4(address, embedding[1]));
    return verdict.allowed ? verdict : { ...verdict, via: embedding[1] };
  }
  const blocked = BLOCKED_IPV6.find(([cidr]) => address.match(cidr));
  if (blocked) {
    return { allowed: false, range: blocked[1] };
  }
  return address.match(GLOBAL_UNICAST_V6) ? ALLOWED : { allowed: false, range: 'reserved' };
}

function embeddedIpv4(address: ipaddr.IPv6, embedding: Ipv4Embedding): ipaddr.IPv4 {
  // 6to4 carries the IPv4 address in bits 16-47; the other forms in the last 32 bits.
  const [high, low] = embedding === '6to4' ? [address.parts[1], address.parts[2]] : address.parts.slice(6, 8);
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}
