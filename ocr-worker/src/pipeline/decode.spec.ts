import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { crc32, deflateSync } from 'node:zlib';
import { workerErrorCodeOf } from '../common/testing/worker-error-code';
import { RgbImage, decodeImage } from './decode';

const LIMIT = 40_000_000;

/** 40 x 20: red left half, blue right half. */
function halves(): Sharp {
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 40; x++) {
      raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    }
  }
  return sharp(raw, { raw: { width: 40, height: 20, channels: 3 } });
}

function rgbAt(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(i, i + 3));
}

/**
 * The start of a decompression bomb: a PNG declaring `width` x `height` grey pixels, with the
 * first rows of its (all-zero, endlessly compressible) data. The decoder must refuse it from the
 * header alone.
 */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc((width + 1) * 16))),
  ]);
}

describe(decodeImage.name, () => {
  it.each(['jpeg', 'png', 'webp', 'tiff', 'gif'] as const)('should decode %s into RGB', async (format) => {
    const bytes = await halves().clone().toFormat(format).toBuffer();
    const img = await decodeImage(bytes, LIMIT);
    expect([img.width, img.height, img.data.length]).toEqual([40, 20, 40 * 20 * 3]);
    const [r, , b] = rgbAt(img, 5, 10);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
  });

  it('should decode a BigTIFF, which the gateway accepts too', async () => {
    const bytes = await halves().clone().tiff({ bigtiff: true }).toBuffer();
    expect([...bytes.subarray(0, 4)]).toEqual([0x49, 0x49, 0x2b, 0x00]);
    const img = await decodeImage(bytes, LIMIT);
    expect([img.width, img.height]).toEqual([40, 20]);
  });

  it('should apply the EXIF orientation', async () => {
    // Orientation 6: the stored picture is shown turned 90° clockwise, so its left half ends up on top.
    const bytes = await halves().jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(bytes, LIMIT);
    expect([img.width, img.height]).toEqual([20, 40]);
    expect(rgbAt(img, 10, 5)[0]).toBeGreaterThan(200);
    expect(rgbAt(img, 10, 35)[2]).toBeGreaterThan(200);
  });

  it('should flatten transparency onto white and expand greyscale to three channels', async () => {
    const greyAlpha = Buffer.alloc(10 * 10 * 2);
    for (let i = 0; i < 100; i++) {
      greyAlpha.set(i < 50 ? [0, 0] : [0, 255], i * 2);
    }
    const bytes = await sharp(greyAlpha, { raw: { width: 10, height: 10, channels: 2 } })
      .png()
      .toBuffer();
    const img = await decodeImage(bytes, LIMIT);
    expect(img.data.length).toBe(10 * 10 * 3);
    expect(rgbAt(img, 2, 2)).toEqual([255, 255, 255]);
    expect(rgbAt(img, 2, 8)).toEqual([0, 0, 0]);
  });

  it('should reduce a 16-bit image to 8 bits per channel', async () => {
    const bytes = await halves().toColourspace('rgb16').png().toBuffer();
    const img = await decodeImage(bytes, LIMIT);
    expect(img.data.length).toBe(40 * 20 * 3);
    expect(rgbAt(img, 5, 5)[0]).toBeGreaterThan(200);
  });

  it('should refuse an empty buffer as an invalid image', async () => {
    expect(await workerErrorCodeOf(decodeImage(Buffer.alloc(0), LIMIT))).toBe('invalid_image');
  });

  it('should refuse bytes of no supported format as an unsupported media type', async () => {
    expect(await workerErrorCodeOf(decodeImage(Buffer.from('just some text, not an image'), LIMIT))).toBe(
      'unsupported_media_type',
    );
  });

  it('should refuse a truncated JPEG or PNG as an invalid image', async () => {
    const noise = Buffer.alloc(300 * 200 * 3);
    for (let i = 0; i < noise.length; i++) {
      noise[i] = (i * 7919) % 251;
    }
    const base = sharp(noise, { raw: { width: 300, height: 200, channels: 3 } });
    const jpeg = await base.clone().jpeg().toBuffer();
    const png = await base.clone().png().toBuffer();
    expect(await workerErrorCodeOf(decodeImage(jpeg.subarray(0, jpeg.length >> 1), LIMIT))).toBe('invalid_image');
    expect(await workerErrorCodeOf(decodeImage(png.subarray(0, png.length >> 1), LIMIT))).toBe('invalid_image');
  });

  it('should refuse a 1x1 image as an invalid image', async () => {
    const bytes = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect(await workerErrorCodeOf(decodeImage(bytes, LIMIT))).toBe('invalid_image');
  });

  it('should refuse a 400-megapixel header before decoding it', async () => {
    const started = performance.now();
    expect(await workerErrorCodeOf(decodeImage(pngBomb(20_000, 20_000), LIMIT))).toBe('image_too_large');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('should count pixels against the configured limit', async () => {
    const bytes = await halves().png().toBuffer();
    expect(await workerErrorCodeOf(decodeImage(bytes, 799))).toBe('image_too_large');
    expect(await workerErrorCodeOf(decodeImage(bytes, 800))).toBe('resolved');
  });
});
