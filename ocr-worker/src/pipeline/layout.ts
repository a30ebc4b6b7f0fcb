import type { OcrLine } from '@app/contracts';

/** The vertical band a line occupies, measured along its own sides so a skewed line is not inflated. */
interface Band {
  line: OcrLine;
  centerY: number;
  height: number;
  left: number;
  right: number;
}

function band(line: OcrLine): Band {
  const [tl, tr, br, bl] = line.box;
  const height = (Math.hypot(bl[0] - tl[0], bl[1] - tl[1]) + Math.hypot(br[0] - tr[0], br[1] - tr[1])) / 2;
  return {
    line,
    centerY: (tl[1] + tr[1] + br[1] + bl[1]) / 4,
    height,
    left: Math.min(tl[0], bl[0]),
    right: Math.max(tr[0], br[0]),
  };
}

function verticalOverlap(a: Band, b: Band): number {
  const top = Math.max(a.centerY - a.height / 2, b.centerY - b.height / 2);
  const bottom = Math.min(a.centerY + a.height / 2, b.centerY + b.height / 2);
  return (bottom - top) / Math.min(a.height, b.height);
}

/** Two lines share a row when their bands overlap by at least half the smaller height. */
const SAME_ROW_OVERLAP = 0.5;

/**
 * Groups lines into rows (top to bottom) and orders each row left to right. A line joins the row
 * whose first line it overlaps most; comparing with the first line rather than the whole row
 * keeps one tall line from chaining two rows together.
 */
export function groupRows(lines: readonly OcrLine[]): OcrLine[][] {
  const bands = lines.map(band).sort((a, b) => a.centerY - b.centerY);
  const rows: Band[][] = [];
  for (const b of bands) {
    let best: Band[] | undefined;
    let bestOverlap = SAME_ROW_OVERLAP;
    // Rows are created in centre order, so only the last few can still overlap this line.
    for (let r = rows.length - 1; r >= Math.max(0, rows.length - 8); r--) {
      const overlap = verticalOverlap(rows[r][0], b);
      if (overlap >= bestOverlap) {
        best = rows[r];
        bestOverlap = overlap;
      }
    }
    if (best) {
      best.push(b);
    } else {
      rows.push([b]);
    }
  }
  return rows
    .map((row) => ({ row: row.sort((a, b) => a.left - b.left), y: Math.min(...row.map((b) => b.centerY)) }))
    .sort((a, b) => a.y - b.y)
    .map(({ row }) => row.map((b) => b.line));
}

/**
 * Lines in reading order: rows top to bottom, each left to right. For a page that lies upside down
 * (`turned`, as the angle classifier found most of its lines) the order is that of the page turned
 * upright, while the boxes stay in the coordinates of the image as sent.
 */
export function readingOrder(
  lines: readonly OcrLine[],
  turned?: { width: number; height: number },
): OcrLine[] {
  if (!turned) {
    return groupRows(lines).flat();
  }
  const upright = new Map<OcrLine, OcrLine>();
  for (const line of lines) {
    const [tl, tr, br, bl] = line.box.map(([x, y]): [number, number] => [
      turned.width - x,
      turned.height - y,
    ]);
    upright.set({ ...line, box: [br, bl, tl, tr] }, line);
  }
  return groupRows([...upright.keys()])
    .flat()
    .map((l) => upright.get(l)!);
}

/** The `text` of a result: the lines in reading order, one per text line. */
export function joinText(ordered: readonly OcrLine[]): string {
  return ordered.map((l) => l.text).join('\n');
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[sorted.length >> 1];
}

/** Blank space (in line heights) that separates paragraphs vertically or columns horizontally. */
const PARAGRAPH_GAP = 0.8;
const COLUMN_GAP = 1.5;

/** Gaps in the union of intervals, as [start, end] pairs, widest first. */
function gapsOf(intervals: Array<[number, number]>, minGap: number): Array<[number, number]> {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const gaps: Array<[number, number]> = [];
  let reach = sorted.length > 0 ? sorted[0][1] : 0;
  for (const [start, end] of sorted.slice(1)) {
    if (start - reach >= minGap) {
      gaps.push([reach, start]);
    }
    reach = Math.max(reach, end);
  }
  return gaps.sort((a, b) => b[1] - b[0] - (a[1] - a[0]));
}

/** Columns of prose have lines this many times wider than the gutter between them; table cells do not. */
const PROSE_TO_GUTTER = 3;

/**
 * A vertical gutter splits `bands` into columns when the two sides read independently: their rows
 * do not line up (most lines of the smaller side have no partner across in the same row), or both
 * sides are prose, with lines much wider than the gutter. Anything else is a table, read by rows.
 */
function columnCut(bands: Band[], lineHeight: number): [Band[], Band[]] | undefined {
  for (const [from, at] of gapsOf(
    bands.map((b) => [b.left, b.right]),
    COLUMN_GAP * lineHeight,
  )) {
    const left = bands.filter((b) => b.right <= at);
    const right = bands.filter((b) => b.left >= at);
    if (left.length < 2 || right.length < 2) {
      continue;
    }
    const [small, large] = left.length <= right.length ? [left, right] : [right, left];
    const paired = small.filter((a) => large.some((b) => verticalOverlap(a, b) >= SAME_ROW_OVERLAP)).length;
    const gutter = at - from;
    const prose = [left, right].every(
      (side) => medianOf(side.map((b) => b.right - b.left)) >= PROSE_TO_GUTTER * gutter,
    );
    if (paired / small.length <= 0.5 || prose) {
      return [left, right];
    }
  }
  return undefined;
}

/** Recursive XY-cut: columns first, then paragraphs separated by vertical space. */
function blocksOf(bands: Band[], lineHeight: number): Band[][] {
  const columns = columnCut(bands, lineHeight);
  if (columns) {
    return columns.flatMap((column) => blocksOf(column, lineHeight));
  }
  const gaps = gapsOf(
    bands.map((b) => [b.centerY - b.height / 2, b.centerY + b.height / 2]),
    PARAGRAPH_GAP * lineHeight,
  ).sort((a, b) => a[0] - b[0]);
  if (gaps.length === 0) {
    return [bands];
  }
  const blocks: Band[][] = [];
  let rest = bands;
  for (const [, end] of gaps) {
    blocks.push(rest.filter((b) => b.centerY < end));
    rest = rest.filter((b) => b.centerY >= end);
  }
  blocks.push(rest);
  return blocks
    .filter((block) => block.length > 0)
    .flatMap((block) => (block.length < bands.length ? blocksOf(block, lineHeight) : [block]));
}

/** A heading is a lone line at least this many times the page's usual line height. */
const HEADING_SCALE = 1.5;

/**
 * Markdown for `mode: "markdown"`: columns read one after the other, paragraphs separated by a
 * blank line, prose rows reflowed into one line, rows of several cells kept one per line, and a
 * lone oversized line made a heading.
 */
export function toMarkdown(lines: readonly OcrLine[]): string {
  if (lines.length === 0) {
    return '';
  }
  const bands = lines.map(band);
  const lineHeight = medianOf(bands.map((b) => b.height));
  return blocksOf(bands, lineHeight)
    .map((block) => {
      const rows = groupRows(block.map((b) => b.line));
      if (
        rows.length === 1 &&
        rows[0].length === 1 &&
        band(rows[0][0]).height >= HEADING_SCALE * lineHeight
      ) {
        return `## ${rows[0][0].text}`;
      }
      const tabular = rows.some((row) => row.length > 1);
      return rows.map((row) => row.map((l) => l.text).join(' ')).join(tabular ? '\n' : ' ');
    })
    .join('\n\n');
}
