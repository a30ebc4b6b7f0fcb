import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';

export type DeviceChoice = 'auto' | 'cpu' | 'cuda';
export type Device = 'cpu' | 'cuda';
export type ModelRole = 'det' | 'rec' | 'cls';

/**
 * The hook point for model rewrites: given a model file, answers the file to load instead (for
 * example an exact graph rewrite cached on disk), or the same path to run the model as shipped.
 */
export type ModelPreparer = (modelPath: string, role: ModelRole) => Promise<string>;

export interface SessionFactoryOptions {
  device: DeviceChoice;
  intraOpThreads: number;
  prepare?: ModelPreparer;
  logger?: { log(msg: string): void; warn(msg: string): void };
}

export interface LoadedSession {
  session: ort.InferenceSession;
  device: Device;
}

/** Thrown when `cuda` was demanded and the CUDA execution provider cannot be loaded. */
export class DeviceUnavailableError extends Error {
  override readonly name = 'DeviceUnavailableError';
}

export const CUDA_INSTALL_HINT =
  'install the CUDA provider on a GPU host with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` (CUDA 12 and cuDNN 9 present)';

let quietRuntime = false;

/**
 * The native runtime prints its own error lines, which carry library paths, before it throws; the
 * thrown error says the same without them, so only fatal lines are let through.
 */
function quietenRuntimeLog(): void {
  if (!quietRuntime) {
    ort.env.logLevel = 'fatal';
    quietRuntime = true;
  }
}

/** The first line of a runtime error with anything that looks like a file path removed. */
export function sanitizeRuntimeMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? '').replace(/(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+)+/g, '<path>').slice(0, 200);
}

function baseOptions(intraOpThreads: number): ort.InferenceSession.SessionOptions {
  // Graph optimisation `all` keeps the NCHWc convolution layout (1.4-1.9x faster than `extended`);
  // parallel execution mode measured about 2x slower here. Idle pool threads sleep instead of
  // spinning: with several lanes (and the gateway) sharing the cores, spinning threads burned
  // 1.7x the CPU time for the same recognition work and slowed the lanes beside them.
  // No CPU memory arena or memory pattern: every crop has its own width, so both kept growing
  // (one lane 368 -> 747 MiB over two passes of the forms); without them a lane stays near
  // 400 MiB at the same speed.
  return {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: Math.max(1, Math.floor(intraOpThreads)),
    interOpNumThreads: 1,
    enableCpuMemArena: false,
    enableMemPattern: false,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

async function readModel(
  path: string,
  role: ModelRole,
  prepare: ModelPreparer | undefined,
): Promise<Uint8Array> {
  return new Uint8Array(await readFile(prepare ? await prepare(path, role) : path));
}

/**
 * Creates the sessions of one engine on one device. With `auto` the first model is tried on CUDA
 * and, when the provider cannot load, everything runs on the CPU with a log line saying why.
 */
export async function createSessions<R extends ModelRole>(
  models: Record<R, string>,
  options: SessionFactoryOptions,
): Promise<{ device: Device; sessions: Record<R, ort.InferenceSession> }> {
  quietenRuntimeLog();
  const roles = Object.keys(models) as R[];
  let device: Device = 'cpu';
  const sessions = {} as Record<R, ort.InferenceSession>;
  for (const [i, role] of roles.entries()) {
    const bytes = await readModel(models[role], role, options.prepare);
    if (i === 0 && options.device !== 'cpu') {
      try {
        sessions[role] = await ort.InferenceSession.create(bytes, {
          ...baseOptions(options.intraOpThreads),
          executionProviders: ['cuda', 'cpu'],
        });
        device = 'cuda';
        continue;
      } catch (error) {
        const reason = sanitizeRuntimeMessage(error);
        if (options.device === 'cuda') {
          throw new DeviceUnavailableError(
            `OCR_DEVICE=cuda but the CUDA execution provider is not available (${reason}); ${CUDA_INSTALL_HINT}.`,
          );
        }
        options.logger?.warn(`CUDA is not available (${reason}); running on the CPU.`);
      }
    }
    sessions[role] = await ort.InferenceSession.create(bytes, {
      ...baseOptions(options.intraOpThreads),
      executionProviders: device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    });
  }
  return { device, sessions };
}
