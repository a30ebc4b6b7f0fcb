/**
 * Where the quality warnings should start: renders synthetic pages (DejaVu Sans at 12 to 36 px),
 * degrades them (Gaussian blur; darkening and flattening with sensor-like noise; blur with noise),
 * reads each with the OCR engine in-process and prints the character error rate beside what
 * measureQuality finds. Synthetic images only: the thresholds are never tuned on the eval set.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register scripts/calibrate-quality.ts [KIND]
 *
 * KIND: blur, blurnoise, dark or contrast (default: all). Columns: kind, parameter, font size,
 * CER, sharpness, line height, paper, ink.
 */
import { loadavg } from 'node:os';
import sharp, { type Sharp } from 'sharp';
import { decodeImage } from '../ocr-worker/src/pipeline/decode';
import { measureQuality } from '../ocr-worker/src/pipeline/image-quality';
import { OcrEngine } from '../ocr-worker/src/pipeline/ocr-engine';

const WORDS = ['TOTAL', 'Invoice', 'cash', '12.50', 'change', 'tax', 'GST', 'receipt', 'No.', '2024'];
const MORE = ['item', 'qty', 'price', 'amount', 'paid', 'card', 'store', 'Sdn', 'Bhd', '#117'];
/** Standard deviation, in grey levels, of the noise added to the darkened and flattened pages. */
const NOISE = 5;

/** A fixed pseudo-random sequence (Park-Miller), so every run renders the same pages. */
let seed = 7;
function random(): number {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
}

function page(size: number): { svg: Buffer; truth: string } {
  const vocabulary = [...WORDS, ...MORE];
  const lines = Array.from({ length: 6 }, () =>
    Array.from({ length: 5 }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' '),
  );
  const lineHeight = Math.round(size * 1.6);
  const width = Math.round(size * 0.62 * 40) + 80;
  const texts = lines
    .map(
      (line, i) =>
        `<text x="40" y="${lineHeight * (i + 1) + 10}" font-family="DejaVu Sans" font-size="${size}">${line}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${lineHeight * 7 + 20}"><rect width="100%" height="100%" fill="white"/>${texts}</svg>`;
  return { svg: Buffer.from(svg), truth: lines.join(' ') };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** Adds roughly Gaussian noise (a sum of four uniforms) to every pixel. */
async function noisy(png: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i += info.channels) {
    const n = (random() + random() + random() + random() - 2) * Math.sqrt(3) * NOISE;
    for (let c = 0; c < info.channels; c++) {
      data[i + c] = Math.max(0, Math.min(255, Math.round(data[i + c] + n)));
    }
  }
  return sharp(data, { raw: info }).png().toBuffer();
}

type Degradation = [kind: string, params: number[], noise: boolean, apply: (s: Sharp, p: number) => Sharp];

const DEGRADATIONS: Degradation[] = [
  ['blur', [0, 1, 1.5, 2, 3, 4, 6], false, (s, p) => (p > 0 ? s.blur(p) : s)],
  ['blurnoise', [0, 1, 1.5, 2, 3, 4, 6], true, (s, p) => (p > 0 ? s.blur(p) : s)],
  ['dark', [1, 0.5, 0.3, 0.2, 0.12, 0.08, 0.05], true, (s, p) => s.linear(p, 0)],
  ['contrast', [255, 100, 50, 35, 25, 18, 12, 6], true, (s, p) => s.linear(p / 255, 128 - p / 2)],
];

async function main(): Promise<void> {
  const only = process.argv[2];
  const engine = await OcrEngine.create({
    device: 'cpu',
    intraOpThreads: 1,
    detLimitSideLen: 960,
    useAngleCls: false,
    maxPixels: 40_000_000,
  });
  console.log(
    `load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  try {
    for (const size of [12, 16, 24, 36]) {
      const { svg, truth } = page(size);
      const base = await sharp(svg).png().toBuffer();
      for (const [kind, params, noise, apply] of DEGRADATIONS.filter(([k]) => !only || k === only)) {
        for (const p of params) {
          const degraded = await apply(sharp(base).removeAlpha(), p).png().toBuffer();
          const png = noise ? await noisy(degraded) : degraded;
          const result = await engine.recognize(png, 'text');
          const cer = editDistance(result.text.replace(/\s+/g, ' '), truth) / truth.length;
          const m = measureQuality(await decodeImage(png, 40_000_000), result.lines);
          console.log(
            [
              kind,
              p,
              size,
              cer.toFixed(3),
              m.sharpness?.toExponential(2) ?? '-',
              m.lineHeight?.toFixed(1) ?? '-',
              m.paper,
              m.ink,
            ].join('\t'),
          );
        }
      }
    }
  } finally {
    await engine.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
