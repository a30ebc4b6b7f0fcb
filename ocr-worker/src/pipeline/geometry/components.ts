import type { Point } from '@app/contracts';

export interface Component {
  /** Leftmost and rightmost pixel of every row the region covers: enough for its convex hull. */
  extremes: Point[];
  pixels: number;
}

/**
 * 8-connected foreground regions of a binary map (the outer contours OpenCV's `findContours` would
 * trace, as far as their convex hulls go). Each region is reported by its per-row extreme pixels,
 * because everything DB post-processing does with a contour goes through its convex hull.
 */
export function connectedComponents(
  bitmap: Uint8Array,
  width: number,
  height: number,
  maxComponents = Infinity,
): Component[] {
  const visited = new Uint8Array(bitmap.length);
  const stack = new Int32Array(bitmap.length);
  const rowMin = new Int32Array(height).fill(-1);
  const rowMax = new Int32Array(height);
  const components: Component[] = [];
  for (let start = 0; start < bitmap.length && components.length < maxComponents; start++) {
    if (!bitmap[start] || visited[start]) {
      continue;
    }
    let top = 0;
    let pixels = 0;
    let minY = height;
    let maxY = -1;
    stack[top++] = start;
    visited[start] = 1;
    while (top > 0) {
      const index = stack[--top];
      const y = (index / width) | 0;
      const x = index - y * width;
      pixels++;
      if (rowMin[y] < 0) {
        rowMin[y] = x;
        rowMax[y] = x;
      } else if (x < rowMin[y]) {
        rowMin[y] = x;
      } else if (x > rowMax[y]) {
        rowMax[y] = x;
      }
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) {
          continue;
        }
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) {
            continue;
          }
          const next = ny * width + nx;
          if (bitmap[next] && !visited[next]) {
            visited[next] = 1;
            stack[top++] = next;
          }
        }
      }
    }
    const extremes: Point[] = [];
    for (let y = minY; y <= maxY; y++) {
      if (rowMin[y] >= 0) {
        extremes.push([rowMin[y], y]);
        if (rowMax[y] !== rowMin[y]) {
          extremes.push([rowMax[y], y]);
        }
        rowMin[y] = -1;
      }
    }
    components.push({ extremes, pixels });
  }
  return components;
}
