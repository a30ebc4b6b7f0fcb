import { decodeFrame, encodeFrame } from './framed-socket';

/**
 * The bytes of a NATS message between the gateway and the workers (`WORKER_TRANSPORT=nats`), for
 * the serializer and deserializer options of Nest's ClientNats and ServerNats on both ends. Nest's
 * default codec is JSON, so an image would travel as base64 (a third more bytes on a link whose
 * `max_payload` is a hard limit, and an encode and a parse on both event loops). A NATS message is
 * binary, so it carries the TCP transport's frame instead: the JSON of the packet, the image bytes
 * after it, raw (transport/framed-socket.ts). No chunking: a message that exceeds the server's
 * `max_payload` is refused before it is published (NatsPayloadTooLargeError).
 */
export function encodeNatsMessage(message: unknown): Buffer {
  // One copy into the message: nats.js publishes one Uint8Array.
  return Buffer.concat(encodeFrame(message));
}

/** The packet of a message made by encodeNatsMessage; attachments are copied out whole. */
export function decodeNatsMessage(data: Uint8Array): unknown {
  const frame = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (frame.length < 8 || frame.readUInt32BE(0) !== frame.length - 4) {
    throw new Error('A NATS message is not a transport frame.');
  }
  return decodeFrame(frame.subarray(4));
}

/** A packet whose message would exceed the NATS server's `max_payload`: it was not published. */
export class NatsPayloadTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly maxPayload: number,
  ) {
    super(`A NATS message of ${bytes} bytes exceeds the server's max_payload of ${maxPayload} bytes.`);
    this.name = NatsPayloadTooLargeError.name;
  }
}

/**
 * Nest's serializer interface for both ends. `maxPayload` reads the connected server's limit
 * (nats.js `nc.info.max_payload`) at each message, undefined before a connection: a server
 * reached after a reconnect may have another one.
 */
export class NatsFrameSerializer {
  constructor(private readonly maxPayload: () => number | undefined = () => undefined) {}

  serialize(packet: unknown): { data: Buffer } {
    const data = encodeNatsMessage(packet);
    const limit = this.maxPayload();
    if (limit !== undefined && data.length > limit) {
      throw new NatsPayloadTooLargeError(data.length, limit);
    }
    return { data };
  }
}

/** Nest's deserializer interface for both ends: requests and responses are our own packets. */
export class NatsFrameDeserializer {
  deserialize(value: Uint8Array): unknown {
    return decodeNatsMessage(value);
  }
}
