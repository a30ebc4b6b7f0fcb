import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packagedModelFiles } from './model-files';
import { DeviceUnavailableError, createSessions, sanitizeRuntimeMessage } from './session-factory';

/** Where onnxruntime-node looks for its CUDA provider; absent unless installed with ONNXRUNTIME_NODE_INSTALL=cuda12. */
function cudaProviderInstalled(): boolean {
  const binding = dirname(require.resolve('onnxruntime-node/package.json'));
  const candidates = ['napi-v3', 'napi-v6'].map((napi) =>
    join(binding, 'bin', napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so'),
  );
  return candidates.some((file) => existsSync(file));
}

describe(sanitizeRuntimeMessage.name, () => {
  it('should keep the first line and drop file paths', () => {
    const error = new Error(
      'Failed to load /opt/lib/libonnxruntime_providers_cuda.so: no such file\nstack...',
    );
    expect(sanitizeRuntimeMessage(error)).toBe('Failed to load <path>: no such file');
  });
});

describe(createSessions.name, () => {
  const models = { cls: packagedModelFiles().cls };

  it('should run on the CPU when asked to', async () => {
    const { device, sessions } = await createSessions(models, { device: 'cpu', intraOpThreads: 1 });
    expect(device).toBe('cpu');
    expect(sessions.cls.inputNames).toEqual(['x']);
    await sessions.cls.release();
  });

  it('should pass each model through the preparation hook', async () => {
    const seen: string[] = [];
    const { sessions } = await createSessions(models, {
      device: 'cpu',
      intraOpThreads: 1,
      prepare: (path, role) => {
        seen.push(role);
        return Promise.resolve(path);
      },
    });
    expect(seen).toEqual(['cls']);
    await sessions.cls.release();
  });

  (cudaProviderInstalled() ? it.skip : it)(
    'should fall back to the CPU with a warning when CUDA cannot load',
    async () => {
      const warnings: string[] = [];
      const { device, sessions } = await createSessions(models, {
        device: 'auto',
        intraOpThreads: 1,
        logger: { log: () => undefined, warn: (m) => warnings.push(m) },
      });
      expect(device).toBe('cpu');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^CUDA is not available \(.+\); running on the CPU\.$/);
      expect(warnings[0]).not.toMatch(/\/[\w.-]+\//);
      await sessions.cls.release();
    },
  );

  (cudaProviderInstalled() ? it.skip : it)(
    'should refuse to start without CUDA when CUDA is demanded',
    async () => {
      await expect(createSessions(models, { device: 'cuda', intraOpThreads: 1 })).rejects.toThrow(
        DeviceUnavailableError,
      );
      await expect(createSessions(models, { device: 'cuda', intraOpThreads: 1 })).rejects.toThrow(
        /ONNXRUNTIME_NODE_INSTALL=cuda12/,
      );
    },
  );
});
