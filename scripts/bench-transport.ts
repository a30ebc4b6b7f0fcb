/**
 * How image bytes should travel from the gateway to the worker: the round trip of 1, 4 and 16 MiB
 * payloads over the real NestJS TCP transport (a ServerTCP in a child process, as the worker
 * runs it) as base64 in JSON (what @app/contracts defines), as Node's Buffer JSON form
 * (`{"type":"Buffer","data":[...]}`), and over a raw binary side channel (length-prefixed frames on
 * a plain socket: what a custom transport would do). Each round trip includes the sender's
 * encoding and the receiver's decoding into a Buffer; the answer is a small acknowledgement.
 * `stall` is the longest event-loop delay of the receiving process during that payload's runs:
 * the time it could not answer anything else (health probes, other requests).
 *
 *   npm run bench:transport -- [--runs 7] [--sizes 1,4,16]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ClientProxyFactory, ServerTCP, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { framedSocket } from '../libs/contracts/src/transport/framed-socket';

const MIB = 1024 * 1024;
const MAX_BUFFER = 256 * MIB;

interface Ack {
  bytes: number;
  /** Longest event-loop delay in the receiver since its previous answer, in ms. */
  stallMs: number;
}

function option(args: string[], name: string, fallback: string): string {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] ? args[index + 1] : fallback;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** [u32 length][bytes]: a frame of the raw side channel. */
function frame(payload: Buffer): Buffer[] {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return [header, payload];
}

/** Calls `onFrame` for every complete frame arriving on `socket`, copying each payload once. */
function readFrames(socket: Socket, onFrame: (payload: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let buffered = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    for (;;) {
      if (buffered < 4) {
        return;
      }
      const head = chunks[0].length >= 4 ? chunks[0] : Buffer.concat(chunks);
      const length = head.readUInt32BE(0);
      if (buffered < 4 + length) {
        return;
      }
      const all = Buffer.concat(chunks, buffered);
      onFrame(all.subarray(4, 4 + length));
      chunks.length = 0;
      buffered = all.length - 4 - length;
      if (buffered > 0) {
        chunks.push(all.subarray(4 + length));
      }
    }
  });
}

/** The receiving side: a Nest ServerTCP (as the worker) and a raw framed socket server. */
function serve(): void {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const ack = (bytes: number): Ack => {
    const stallMs = loop.max / 1e6;
    loop.reset();
    return { bytes, stallMs };
  };
  const nest = new ServerTCP({ host: '127.0.0.1', port: 0, maxBufferSize: MAX_BUFFER });
  nest.addHandler('base64', (data: { image: string }) =>
    Promise.resolve(ack(Buffer.from(data.image, 'base64').length)),
  );
  nest.addHandler('buffer-json', (data: { image: { data: number[] } }) =>
    Promise.resolve(ack(Buffer.from(data.image.data).length)),
  );
  const FRAMED = framedSocket({ maxFrameBytes: MAX_BUFFER, maxSendBufferBytes: MAX_BUFFER });
  const framed = new ServerTCP({ host: '127.0.0.1', port: 0, socketClass: FRAMED });
  framed.addHandler('framed', (data: { image: Buffer }) => Promise.resolve(ack(data.image.length)));
  const raw = createServer((socket) => {
    readFrames(socket, (payload) => {
      const image = Buffer.from(payload); // the worker would own (and transfer) its copy
      socket.write(Buffer.concat(frame(Buffer.from(JSON.stringify(ack(image.length))))));
    });
  });
  nest.listen(() => {
    const nestPort = (nest.unwrap<import('node:net').Server>().address() as { port: number }).port;
    framed.listen(() => {
      const framedPort = (framed.unwrap<import('node:net').Server>().address() as { port: number }).port;
      raw.listen(0, '127.0.0.1', () => {
        const rawPort = (raw.address() as { port: number }).port;
        process.send?.({ nestPort, rawPort, framedPort });
      });
    });
  });
}

/** A raw framed connection: one request at a time, like the bench drives it. */
class RawChannel {
  private pending?: (ack: Ack) => void;

  private constructor(private readonly socket: Socket) {
    readFrames(socket, (payload) => this.pending?.(JSON.parse(payload.toString()) as Ack));
  }

  static open(port: number): Promise<RawChannel> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(new RawChannel(socket)));
      socket.once('error', reject);
    });
  }

  send(image: Buffer): Promise<Ack> {
    return new Promise((resolve) => {
      this.pending = resolve;
      for (const part of frame(image)) {
        this.socket.write(part);
      }
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function measure(runs: number, once: () => Promise<Ack>): Promise<{ ms: number; stallMs: number }> {
  await once(); // warm-up: connection, JIT, buffer pools
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
  const runs = Number(option(args, 'runs', '7'));
  const sizes = option(args, 'sizes', '1,4,16').split(',').map(Number);
  const child: ChildProcess = fork(__filename, ['--serve'], {
    execArgv: __filename.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [],
  });
  type Ports = { nestPort: number; rawPort: number; framedPort: number };
  const ports = await new Promise<Ports>((resolve) => child.once('message', (message) => resolve(message as Ports)));
  const client: ClientProxy = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: ports.nestPort, maxBufferSize: MAX_BUFFER },
  });
  await client.connect();
  const framed: ClientProxy = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: {
      host: '127.0.0.1',
      port: ports.framedPort,
      socketClass: framedSocket({ maxFrameBytes: MAX_BUFFER, maxSendBufferBytes: MAX_BUFFER }),
    },
  });
  await framed.connect();
  const raw = await RawChannel.open(ports.rawPort);

  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; median of ${runs} round trips`,
  );
  console.log('| payload | base64 in JSON | Buffer JSON form | raw binary frame | framed-socket (adopted) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const size of sizes) {
    const image = randomBytes(size * MIB);
    const base64 = await measure(runs, () =>
      firstValueFrom(client.send<Ack>('base64', { image: image.toString('base64') })),
    );
    const bufferJson = await measure(Math.min(runs, 3), () =>
      firstValueFrom(client.send<Ack>('buffer-json', { image })),
    );
    const binary = await measure(runs, () => raw.send(image));
    const adopted = await measure(runs, () => firstValueFrom(framed.send<Ack>('framed', { image })));
    const cell = (r: { ms: number; stallMs: number }): string =>
      `${r.ms.toFixed(1)} ms (stall ${r.stallMs.toFixed(0)} ms)`;
    console.log(`| ${size} MiB | ${cell(base64)} | ${cell(bufferJson)} | ${cell(binary)} | ${cell(adopted)} |`);
  }
  client.close();
  framed.close();
  raw.close();
  child.kill();
}

if (process.argv.includes('--serve')) {
  serve();
} else {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
