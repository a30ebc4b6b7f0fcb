import sharp from 'sharp';

/**
 * Width x height as the image header declares it, read without decoding a pixel; 0 when the
 * header cannot be read (the engine then refuses the image before decoding anything).
 */
export async function declaredPixels(image: Uint8Array): Promise<number> {
  try {
    const { width, height } = await sharp(image, { limitInputPixels: false }).metadata();
    return (width ?? 0) * (height ?? 0);
  } catch {
    return 0;
  }
}
