/**
 * How image bytes travel on the NATS worker transport (WORKER_TRANSPORT=nats): the round trip of
 * 1, 4 and 16 MiB payloads through a real nats-server and Nest's ClientNats/ServerNats (the server
 * in a child process, as a worker runs it), with Nest's default JSON codec (the image as base64)
 * and with the transport frame of `libs/contracts/src/transport/nats-codec.ts` (the image raw).
 * `stall` is the longest event-loop delay of the receiving process during that payload's runs.
 * Starts its own nats-server (/usr/sbin/nats-server, max_payload 64 MiB) unless --url is given.
 *
 *   npm run bench:nats -- [--runs 7] [--sizes 1,4,16] [--url nats://127.0.0.1:4222]
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ClientNats, ServerNats } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { NatsFrameDeserializer, NatsFrameSerializer } from '../libs/contracts/src/transport/nats-codec';
import { freePort, median, option } from './bench-support';

const MIB = 1024 * 1024;

interface Ack {
  bytes: number;
  stallMs: number;
}

function serve(url: string): void {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const ack = (bytes: number): Ack => {
    const stallMs = loop.max / 1e6;
    loop.reset();
    return { bytes, stallMs };
  };
  const json = new ServerNats({ servers: [url] });
  json.addHandler('bench.base64', (data: { image: string }) =>
    Promise.resolve(ack(Buffer.from(data.image, 'base64').length)),
  );
  const framed = new ServerNats({
    servers: [url],
    serializer: new NatsFrameSerializer(),
    deserializer: new NatsFrameDeserializer(),
  });
  framed.addHandler('bench.framed', (data: { image: Buffer }) => Promise.resolve(ack(data.image.length)));
  void json.listen(() => void framed.listen(() => process.send?.('ready')));
}

async function ownNatsServer(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const conf = join(mkdtempSync(join(tmpdir(), 'bench-nats-')), 'nats-server.conf');
  writeFileSync(conf, `listen: "127.0.0.1:${port}"\nmax_payload: ${64 * MIB}\nmax_pending: ${256 * MIB}\n`);
  const server = spawn('/usr/sbin/nats-server', ['-c', conf], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { url: `nats://127.0.0.1:${port}`, process: server };
}

async function measure(runs: number, once: () => Promise<Ack>): Promise<{ ms: number; stallMs: number }> {
  await once();
  const times: number[] = [];
  let stallMs = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const ack = await once();
    times.push(performance.now() - started);
    stallMs = Math.max(stallMs, ack.stallMs);
  }
  return { ms: median(times), stallMs };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--serve') {
    serve(args[1]);
    return;
  }
  const runs = Number(option(args, 'runs', '7'));
  const sizes = option(args, 'sizes', '1,4,16').split(',').map(Number);
  const given = option(args, 'url', '');
  const own = given ? undefined : await ownNatsServer();
  const url = given || (own as { url: string }).url;
  const child = fork(__filename, ['--serve', url], {
    execArgv: __filename.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [],
  });
  await new Promise((resolve) => child.once('message', resolve));
  const json = new ClientNats({ servers: [url] });
  const framed = new ClientNats({
    servers: [url],
    serializer: new NatsFrameSerializer(),
    deserializer: new NatsFrameDeserializer(),
  });
  await Promise.all([json.connect(), framed.connect()]);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; median of ${runs} round trips through nats-server`,
  );
  console.log('| payload | Nest default (JSON, base64) | transport frame (adopted) |');
  console.log('| --- | --- | --- |');
  for (const size of sizes) {
    const image = randomBytes(size * MIB);
    const base64 = await measure(runs, () =>
      firstValueFrom(json.send<Ack>('bench.base64', { image: image.toString('base64') })),
    );
    const adopted = await measure(runs, () => firstValueFrom(framed.send<Ack>('bench.framed', { image })));
    const cell = (r: { ms: number; stallMs: number }): string =>
      `${r.ms.toFixed(1)} ms (stall ${r.stallMs.toFixed(0)} ms)`;
    console.log(`| ${size} MiB | ${cell(base64)} | ${cell(adopted)} |`);
  }
  await Promise.all([json.close(), framed.close()]);
  child.kill();
  own?.process.kill();
}

void main();
