import sharp from 'sharp';
import { declaredPixels } from './declared-pixels';

describe('declaredPixels', () => {
  it('should read the size from the header of an image', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    await expect(declaredPixels(png)).resolves.toBe(60_000);
  });

  it('should answer 0 for bytes that are not an image', async () => {
    await expect(declaredPixels(new Uint8Array([1, 2, 3, 4]))).resolves.toBe(0);
    await expect(declaredPixels(new Uint8Array(0))).resolves.toBe(0);
  });
});
