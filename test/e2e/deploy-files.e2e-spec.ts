import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { runNode } from '../support/keys';
import { built, ROOT } from '../support/paths';
import { startWorker, stopAll, type WorkerProcess } from '../support/processes';

jest.setTimeout(180_000);

const SYSTEMD_DIR = join(ROOT, 'deploy', 'systemd');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

function systemdAnalyze(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; output: string } {
  if (!existsSync(SYSTEMD_ANALYZE)) {
    throw new Error(`${SYSTEMD_ANALYZE} is missing: it comes with the systemd package`);
  }
  const result = spawnSync(SYSTEMD_ANALYZE, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `systemd-analyze security --offline=yes`: the overall exposure (0 safest, 10 worst). */
function exposure(unitFile: string): number {
  const { output } = systemdAnalyze(['security', '--offline=yes', unitFile]);
  const match = /Overall exposure level for \S+: (\d+\.\d+)/.exec(output);
  if (!match) {
    throw new Error(`no exposure level in:\n${output}`);
  }
  return Number(match[1]);
}

describe('deploy/systemd units', () => {
  it('should sandbox the worker, which decodes untrusted images, to "OK" or better (at most 4.0)', () => {
    const worker = exposure(join(SYSTEMD_DIR, 'secure-ocr-worker.service'));
    expect(worker).toBeLessThanOrEqual(4.0);
    // What the shipped unit scores on systemd 252 (0.9): losing a whole protection shows.
    expect(worker).toBeLessThanOrEqual(1.5);
  });

  it('should harden the gateway and the migrations as far as a networked process allows', () => {
    expect(exposure(join(SYSTEMD_DIR, 'secure-ocr-gateway@.service'))).toBeLessThanOrEqual(1.5);
    expect(exposure(join(SYSTEMD_DIR, 'secure-ocr-migrate.service'))).toBeLessThanOrEqual(1.5);
  });

  it('should pass systemd-analyze verify, with two gateway instances', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocr-units-'));
    try {
      for (const file of readdirSync(SYSTEMD_DIR).filter((name) => name.endsWith('.service'))) {
        copyFileSync(join(SYSTEMD_DIR, file), join(dir, file));
      }
      const units = ['secure-ocr-worker.service', 'secure-ocr-migrate.service'].map((unit) =>
        join(dir, unit),
      );
      const instances = ['secure-ocr-gateway@8000.service', 'secure-ocr-gateway@8001.service'].map((unit) =>
        join(dir, unit),
      );
      // A trailing colon keeps the default search path after this folder.
      const result = systemdAnalyze(['verify', ...units, ...instances], { SYSTEMD_UNIT_PATH: `${dir}:` });
      // verify exits 0 on unknown keys, but names them: no output at all is the bar.
      expect(result).toEqual({ code: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should give the worker no database credentials', () => {
    const unit = readFileSync(join(SYSTEMD_DIR, 'secure-ocr-worker.service'), 'utf8');
    const files = [...unit.matchAll(/^EnvironmentFile=-?(\S+)$/gm)].map((match) => match[1]);
    expect(files).toEqual(['/etc/secure-ocr/common.env', '/etc/secure-ocr/worker.env']);
    for (const example of ['common.env.example', 'worker.env.example']) {
      expect(readFileSync(join(SYSTEMD_DIR, example), 'utf8')).not.toMatch(
        /^\s*#?\s*(DATABASE_URL|REDIS_URL)=/m,
      );
    }
    expect(readFileSync(join(SYSTEMD_DIR, 'gateway.env.example'), 'utf8')).toMatch(/^DATABASE_URL=/m);
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- the compose file is untyped YAML */
describe('docker-compose.yml', () => {
  const compose: any = load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
    schema: CORE_SCHEMA.withTags(mergeTag),
  });
  const { worker, gateway, migrate, postgres, redis } = compose.services;

  it('should keep the worker on an internal network of its own with the gateway, without credentials', () => {
    expect(worker.networks).toEqual(['ocr']);
    expect(compose.networks.ocr.internal).toBe(true);
    expect(worker.ports).toBeUndefined();
    for (const [name, value] of Object.entries<string>(worker.environment)) {
      expect(name).not.toMatch(/DATABASE|REDIS|POSTGRES|PASSWORD|SECRET/);
      expect(String(value)).not.toMatch(/POSTGRES|postgres:\/\/|redis:\/\//);
    }
    expect(gateway.networks).toEqual(expect.arrayContaining(['ocr', 'data', 'edge']));
  });

  it('should make the gateway wait for a healthy worker, asked over its own transport', () => {
    expect(gateway.depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      worker: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(worker.healthcheck.test).toEqual(['CMD', 'node', 'dist/ocr-worker/src/health-check.js']);
  });

  it('should trust only the proxy in front: the edge bridge that the published port arrives through', () => {
    const edge = compose.networks.edge;
    expect(edge.internal).toBeUndefined();
    expect(edge.ipam.config).toHaveLength(1);
    expect(gateway.environment.TRUST_PROXY).toBe(edge.ipam.config[0].gateway);
    expect(gateway.ports).toEqual(['127.0.0.1:8000:8000']);
  });

  it('should keep PostgreSQL and Redis on the internal data network, unpublished', () => {
    expect(compose.networks.data.internal).toBe(true);
    for (const service of [postgres, redis]) {
      expect(service.networks).toEqual(['data']);
      expect(service.ports).toBeUndefined();
    }
    expect(migrate.networks).toEqual(['data']);
  });

  it('should run the apps read-only, without capabilities, and agree on the shared limits', () => {
    for (const service of [worker, gateway, migrate]) {
      expect(service).toMatchObject({
        read_only: true,
        cap_drop: ['ALL'],
        security_opt: ['no-new-privileges:true'],
      });
    }
    for (const name of [
      'WORKER_PORT',
      'WORKER_MAX_QUEUE',
      'MAX_BODY_BYTES',
      'MAX_IMAGE_PIXELS',
      'WORKER_TRANSPORT',
      'NATS_URL',
    ]) {
      expect({ name, value: worker.environment[name] }).toEqual({ name, value: gateway.environment[name] });
    }
  });

  it('should offer NATS as a profile: the server on the internal network only, unpublished, with room for an image', () => {
    const { nats } = compose.services;
    expect(nats.profiles).toEqual(['nats']);
    expect(nats.networks).toEqual(['ocr']);
    expect(nats.ports).toBeUndefined();
    expect(worker.environment.NATS_URL).toBe('nats://nats:4222');
    const [mount] = nats.volumes as string[];
    const conf = readFileSync(join(ROOT, mount.split(':')[0]), 'utf8');
    const maxPayload = /^max_payload:\s*(\d+)MB$/m.exec(conf);
    expect(Number(maxPayload?.[1]) * 1024 * 1024).toBeGreaterThan(
      Number(gateway.environment.MAX_BODY_BYTES) + 1024,
    );
  });

  it('should name entry points that the build has', () => {
    const healthCheck = (worker.healthcheck.test as string[]).slice(1);
    const commands: string[][] = [worker.command, gateway.command, migrate.command, healthCheck];
    for (const [program, script] of commands) {
      expect(program).toBe('node');
      expect({ script, built: existsSync(built(script.replace(/^dist\//, ''))) }).toEqual({
        script,
        built: true,
      });
    }
    // The first-admin-key command in the file's header.
    expect(existsSync(built('src', 'cli', 'keys.js'))).toBe(true);
  });
});
/* eslint-enable @typescript-eslint/no-explicit-any */

describe('ocr-worker/src/health-check (the compose health check, against a real worker)', () => {
  let worker: WorkerProcess;
  const check = (host: string, port: number) =>
    runNode(built('ocr-worker', 'src', 'health-check.js'), [], {
      WORKER_HOST: host,
      WORKER_PORT: String(port),
    });

  beforeAll(async () => {
    worker = await startWorker({ env: { OCR_LANES: '1' }, timeoutMs: 120_000 });
  });

  afterAll(async () => {
    if (worker?.isRunning()) {
      worker.child.kill('SIGCONT');
    }
    await stopAll();
  });

  it('should exit 0 when the worker answers, also when it is bound to every address', async () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const result = await check(host, worker.port);
      expect({ host, code: result.code, stdout: result.stdout }).toEqual({
        host,
        code: 0,
        stdout: expect.stringMatching(/^worker health ok: cpu, 1 lane\(s\)/),
      });
    }
  });

  it('should exit 1 within its deadline when the worker is frozen', async () => {
    worker.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      const result = await check('127.0.0.1', worker.port);
      expect({ code: result.code, stderr: result.stderr }).toEqual({
        code: 1,
        stderr: 'worker health check failed: no answer within 3000 ms\n',
      });
      // Node's start-up plus the 3 s deadline, on a loaded machine; a hang would take far longer.
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      worker.child.kill('SIGCONT');
    }
  });

  it('should exit 1 when nothing listens', async () => {
    await worker.stop();
    const result = await check('127.0.0.1', worker.port);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^worker health check failed: .*ECONNREFUSED/);
  });
});
