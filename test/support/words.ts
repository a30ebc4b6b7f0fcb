import sharp, { type Sharp } from 'sharp';

/**
 * Lines of words whose true positions are known: each word is its own SVG `<text>` placed one
 * space's width after the ink of the one before, and its truth is the ink of that word rendered
 * alone, through the same transform.
 */

export type Point = [number, number];
export type Quad = [Point, Point, Point, Point];
/** x0, y0, x1, y1 (x1, y1 exclusive). */
export type Rect = [number, number, number, number];

export interface WordTruth {
  text: string;
  ink: Rect;
}

const FONT = 'font-family="DejaVu Sans, sans-serif" font-size="36"';
/** About a space of DejaVu Sans at 36 px, plus a little: the detector keeps such words on one line. */
const WORD_GAP = 16;

function svg(width: number, height: number, texts: Array<{ text: string; x: number; y: number }>): Buffer {
  const escaped = (text: string): string =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = texts.map((t) => `<text x="${t.x}" y="${t.y}" ${FONT}>${escaped(t.text)}</text>`).join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${body}</svg>`,
  );
}

async function inkOf(image: Sharp): Promise<Rect> {
  const { data, info } = await image.greyscale().raw().toBuffer({ resolveWithObject: true });
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (data[y * info.width + x] < 128) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
    }
  }
  return [x0, y0, x1, y1];
}

/**
 * A PNG of `lines` (arrays of words), one line every 80 px, optionally turned by `degrees`
 * (clockwise, on white, the canvas grown to fit), and the true ink box of every word in it.
 */
export async function renderWords(
  lines: string[][],
  options: { width?: number; degrees?: number } = {},
): Promise<{ png: Buffer; truth: WordTruth[][] }> {
  const width = options.width ?? 900;
  const height = 80 * lines.length + 40;
  const turn = (image: Sharp): Sharp =>
    options.degrees ? image.rotate(options.degrees, { background: '#ffffff' }) : image;
  const placed: Array<{ text: string; x: number; y: number; line: number }> = [];
  for (const [i, words] of lines.entries()) {
    let x = 30;
    for (const text of words) {
      const item = { text, x, y: 80 * (i + 1), line: i };
      const [left, , right] = await inkOf(sharp(svg(width, height, [item])));
      placed.push(item);
      x = right + WORD_GAP + (x - left);
    }
  }
  const truth: WordTruth[][] = lines.map(() => []);
  for (const item of placed) {
    // Each alone through the same turn, flattened first so the turn sees the same raster.
    const alone = await sharp(svg(width, height, [item]))
      .png()
      .toBuffer();
    truth[item.line].push({ text: item.text, ink: await inkOf(turn(sharp(alone))) });
  }
  const page = await sharp(svg(width, height, placed))
    .png()
    .toBuffer();
  return { png: await turn(sharp(page)).png().toBuffer(), truth };
}

export function boundsOf(quad: Quad): Rect {
  const xs = quad.map(([x]) => x);
  const ys = quad.map(([, y]) => y);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** Intersection over union of two rectangles. */
export function iou(a: Rect, b: Rect): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = (r: Rect): number => (r[2] - r[0]) * (r[3] - r[1]);
  return (w * h) / (area(a) + area(b) - w * h);
}

/**
 * Whether `point` lies inside the convex quad (either winding), allowing `tolerance` pixels
 * outside its edges: boxes are rounded to whole pixels.
 */
export function insideQuad(point: Point, quad: Quad, tolerance = 1): boolean {
  let area = 0;
  for (let i = 0; i < 4; i++) {
    const [ax, ay] = quad[i];
    const [bx, by] = quad[(i + 1) % 4];
    area += ax * by - bx * ay;
  }
  const winding = Math.sign(area);
  return quad.every(([ax, ay], i) => {
    const [bx, by] = quad[(i + 1) % 4];
    const length = Math.hypot(bx - ax, by - ay);
    const cross = (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax);
    return length === 0 || (winding * cross) / length >= -tolerance;
  });
}
