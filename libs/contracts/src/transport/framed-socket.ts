import type { Socket } from 'node:net';
import { TcpSocket } from '@nestjs/microservices';

/**
 * Framing of the gateway↔worker TCP transport, for both ends (`socketClass` of Nest's ClientTCP
 * and ServerTCP). Nest's JsonSocket sends each message as one JSON string, so an image must travel
 * as base64 (4/3 of its size, encoded and decoded on both event loops: about 600 ms and 90 ms of
 * stall for 16 MiB in `npm run bench:transport`). Here a frame is
 *
 *   [u32 frame length][u32 JSON length][JSON][attachments]
 *
 * and every Uint8Array (a Buffer) anywhere in the message travels as raw bytes after the JSON,
 * which holds `{"$bytes": [offset, length]}` in its place: the image crosses the wire once, as it
 * is, and arrives as a Buffer with an ArrayBuffer of its own (transferable to a lane thread).
 */
const PREFIX_BYTES = 8;
const ATTACHMENT = '$bytes';

export interface FramedSocketOptions {
  /** Frames declaring more than this are refused and the connection dropped: a corrupt peer. */
  maxFrameBytes: number;
  /**
   * Bytes queued for a peer that does not read beyond which the connection is dropped. The
   * gateway's admission keeps what it sends below this; it only trips on a stuck peer.
   */
  maxSendBufferBytes: number;
}

export class FrameTooLargeError extends Error {
  constructor(length: number, limit: number) {
    super(`A transport frame of ${length} bytes exceeds the limit of ${limit} bytes.`);
    this.name = FrameTooLargeError.name;
  }
}

export class SendBufferFullError extends Error {
  constructor(queued: number, limit: number) {
    super(`The peer is not reading: ${queued} bytes are queued for it, over the limit of ${limit}.`);
    this.name = SendBufferFullError.name;
  }
}

/** Replaces every Uint8Array in `value` by its placeholder, collecting the bytes in `parts`. */
function extract(value: unknown, parts: Uint8Array[], offset: { at: number }): unknown {
  if (value instanceof Uint8Array) {
    const placeholder = { [ATTACHMENT]: [offset.at, value.byteLength] };
    parts.push(value);
    offset.at += value.byteLength;
    return placeholder;
  }
  if (Array.isArray(value)) {
    return value.map((item) => extract(item, parts, offset));
  }
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[key] = extract(item, parts, offset);
    }
    return copy;
  }
  return value;
}

/** The frame for `message`, as the buffers to write in order (attachments are not copied). */
export function encodeFrame(message: unknown): Buffer[] {
  const parts: Uint8Array[] = [];
  const offset = { at: 0 };
  const json = Buffer.from(JSON.stringify(extract(message, parts, offset)) ?? 'null', 'utf8');
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  prefix.writeUInt32BE(4 + json.length + offset.at, 0);
  prefix.writeUInt32BE(json.length, 4);
  return [prefix, json, ...parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength))];
}

/** The message of a frame's body (everything after its length), attachments copied out whole. */
export function decodeFrame(body: Buffer): unknown {
  const jsonLength = body.readUInt32BE(0);
  const attachments = 4 + jsonLength;
  if (attachments > body.length) {
    throw new Error('A transport frame is shorter than its JSON.');
  }
  return JSON.parse(body.toString('utf8', 4, attachments), (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || !(ATTACHMENT in value)) {
      return value;
    }
    const [start, length] = (value as Record<string, unknown>)[ATTACHMENT] as [number, number];
    if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0) {
      throw new Error('A transport frame has a malformed attachment.');
    }
    const from = attachments + start;
    if (from + length > body.length) {
      throw new Error('A transport frame is shorter than its attachments.');
    }
    // Its own ArrayBuffer, not a view of the frame: it can be transferred to a thread.
    const own = Buffer.allocUnsafeSlow(length);
    body.copy(own, 0, from, from + length);
    return own;
  });
}

/** Reassembles frames from socket chunks without copying a partial frame more than once. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (body: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < 4) {
          return;
        }
        const head = this.take(4);
        this.expected = head.readUInt32BE(0);
        if (this.expected > this.maxFrameBytes || this.expected < 4) {
          throw new FrameTooLargeError(this.expected, this.maxFrameBytes);
        }
      }
      if (this.buffered < this.expected) {
        return;
      }
      const body = this.take(this.expected);
      this.expected = -1;
      this.onFrame(body);
    }
  }

  /** Removes the first `length` buffered bytes. */
  private take(length: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const taken = all.subarray(0, length);
    const rest = all.subarray(length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }
}

/**
 * A Nest `socketClass` speaking the framing above. Nest constructs it with the socket only, so the
 * limits are bound here: `socketClass: framedSocket({ ... })`.
 */
export function framedSocket(options: FramedSocketOptions): new (socket: Socket) => TcpSocket {
  return class FramedSocket extends TcpSocket {
    private readonly reader = new FrameReader(options.maxFrameBytes, (body) => {
      this.socket.emit('message', decodeFrame(body) ?? {});
    });

    protected handleSend(message: unknown, callback?: (error?: Error | null) => void): void {
      const buffers = encodeFrame(message);
      this.socket.cork();
      buffers.forEach((buffer, index) =>
        this.socket.write(buffer, index === buffers.length - 1 ? callback : undefined),
      );
      this.socket.uncork();
      const queued = this.socket.writableLength;
      if (queued > options.maxSendBufferBytes) {
        this.handleDataError(new SendBufferFullError(queued, options.maxSendBufferBytes), { destroy: true });
      }
    }

    protected handleData(data: Buffer | string): void {
      this.reader.push(typeof data === 'string' ? Buffer.from(data) : data);
    }
  };
}
