/**
 * Where a V8 CPU profile's time went (`node --cpu-prof`, e.g. from `bench:gateway --profile`):
 * self time summed by function and by package or source file, and the inclusive time of the
 * functions that most of it runs under, each as a share of the profile's sampled time.
 *
 *   node dist/scripts/profile-summary.js PROFILE.cpuprofile [--top 40] [--last SECONDS] [--match TEXT]
 *
 * `--last SECONDS` keeps the samples of the profile's last seconds only: the measured run of a
 * bench, without the start-up (module loading, compilation) and warm-up before it. Idle time is
 * left out of the shares.
 * `--match TEXT` keeps the inclusive table to frames whose function or file contains TEXT.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/<package>` (scoped included), our own files from `src/`, `libs/` on, or the URL. */
export function fileOf(url: string): string {
  if (url === '') {
    return '(native)';
  }
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const [first, second] = url.slice(modules + 'node_modules/'.length).split('/');
    return `npm:${first.startsWith('@') ? `${first}/${second}` : first}`;
  }
  const own = /\/((?:src|libs|ocr-worker)\/.*)$/.exec(url);
  return own ? own[1] : url.replace(/^file:\/\//, '');
}

function frameName(frame: CallFrame): string {
  return `${frame.functionName || '(anonymous)'} ${fileOf(frame.url)}:${frame.lineNumber + 1}`;
}

function table(title: string, totals: Map<string, number>, all: number, top: number): string {
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `\n${title}`,
    ...rows.map(
      ([name, us]) =>
        `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / all).toFixed(1).padStart(5)}%  ${name}`,
    ),
  ].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '40' },
      last: { type: 'string' },
      match: { type: 'string' },
    },
  });
  const top = Number(values.top);
  for (const path of positionals) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) {
      for (const child of node.children ?? []) {
        parent.set(child, node.id);
      }
    }
    const at: number[] = [];
    profile.timeDeltas.reduce((sum, delta, i) => (at[i] = sum + delta), 0);
    const from =
      values.last === undefined ? Number.NEGATIVE_INFINITY : (at.at(-1) ?? 0) - Number(values.last) * 1e6;
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      if (at[i] >= from) {
        self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
      }
    });
    let all = 0;
    const byFunction = new Map<string, number>();
    const byFile = new Map<string, number>();
    const inclusive = new Map<string, number>();
    for (const [id, us] of self) {
      const frame = byId.get(id)?.callFrame;
      if (!frame || frame.functionName === '(idle)') {
        continue;
      }
      all += us;
      const name = frameName(frame);
      byFunction.set(name, (byFunction.get(name) ?? 0) + us);
      const file = frame.url === '' ? `(native) ${frame.functionName}` : fileOf(frame.url);
      byFile.set(file, (byFile.get(file) ?? 0) + us);
      // Each frame on the stack once, so that recursion does not count a sample twice.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const above = frameName((byId.get(at) as ProfileNode).callFrame);
        if (!seen.has(above)) {
          seen.add(above);
          inclusive.set(above, (inclusive.get(above) ?? 0) + us);
        }
      }
    }
    if (values.match !== undefined) {
      const text = values.match;
      for (const name of inclusive.keys()) {
        if (!name.includes(text)) {
          inclusive.delete(name);
        }
      }
    }
    process.stdout.write(
      `${path}: ${(all / 1000).toFixed(0)} ms sampled` +
        table('self time by package / file', byFile, all, top) +
        table('self time by function', byFunction, all, top) +
        table('inclusive time by function', inclusive, all, top) +
        '\n',
    );
  }
}

main();
