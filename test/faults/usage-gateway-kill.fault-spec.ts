import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/database';
import { insertKey, openDatabase, postJson, renderPng, usedToday, type TestKey } from '../support/ocr';
import { startGateway, startWorker, stopAll, type GatewayProcess } from '../support/processes';

// Worker and gateways start on a shared 2-core machine; the load and the lease wait stay under a minute.
jest.setTimeout(180_000);

const OCR_TIMEOUT_MS = 8000;
const LEASE_GRACE_MS = 1000;
const CLIENTS_PER_GATEWAY = 6;
const LOAD_MS = 8000;
/** The earliest moment of the kill, into the load. */
const KILL_AFTER_MS = 4000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Tally {
  ok: number;
  failed: number;
  lastAnswerAt: number;
}

/**
 * Issue 8: a gateway killed with work in flight must not bill results nobody received. Two
 * gateways share one database and one real worker; each has its own key and clients under
 * concurrent OCR load; one gateway is killed with SIGKILL mid-load. Once its leases have expired
 * (OCR_TIMEOUT_MS + USAGE_LEASE_GRACE_MS) the other gateway's sweep gives them back, and each
 * key's usage equals the 200s its clients received.
 */
describe('usage when a gateway is killed mid-load (two gateways, real worker, Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let victim: GatewayProcess;
  let survivor: GatewayProcess;
  let image: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    image = (await renderPng(['RECEIPT 0042', 'TOTAL 12.50'])).toString('base64');
    const worker = await startWorker({ timeoutMs: 120_000 });
    const env = {
      TIERS: JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } }),
      IP_RATE_LIMIT_RPS: '0',
      METRICS_ENABLED: 'false',
      // Every request goes to the worker: no answer from cache while the kill happens.
      RESULT_CACHE_MAX_BYTES: '0',
      OCR_TIMEOUT_MS: String(OCR_TIMEOUT_MS),
      USAGE_LEASE_GRACE_MS: String(LEASE_GRACE_MS),
      USAGE_LEASE_SWEEP_MS: '250',
    };
    [victim, survivor] = await Promise.all([
      startGateway({ databaseUrl: db.url, workerPort: worker.port, env, timeoutMs: 90_000 }),
      startGateway({ databaseUrl: db.url, workerPort: worker.port, env, timeoutMs: 90_000 }),
    ]);
  });

  afterAll(async () => {
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  const leasesOf = async (key: TestKey): Promise<number> => {
    const rows = await dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM usage_leases WHERE lineage_id = $1`,
      [key.id],
    );
    return rows[0].count;
  };

  /** Clients sending one image after another until `until` (or until their gateway is gone). */
  function load(gateway: GatewayProcess, key: TestKey, until: number, tally: Tally): Promise<void[]> {
    return Promise.all(
      Array.from({ length: CLIENTS_PER_GATEWAY }, async () => {
        while (Date.now() < until && gateway.isRunning()) {
          try {
            const answer = await postJson(gateway.url, key, { image });
            // A 200 counts only with its whole result: the body was read and parsed.
            if (answer.status === 200 && typeof answer.body?.text === 'string') {
              tally.ok += 1;
            } else {
              tally.failed += 1;
            }
          } catch {
            tally.failed += 1; // the connection died with the gateway
          }
          tally.lastAnswerAt = Date.now();
        }
      }),
    );
  }

  it('should bill exactly the 200s each client saw, after the lease time', async () => {
    const [onVictim, onSurvivor] = [await insertKey(dataSource), await insertKey(dataSource)];
    const victimTally: Tally = { ok: 0, failed: 0, lastAnswerAt: 0 };
    const survivorTally: Tally = { ok: 0, failed: 0, lastAnswerAt: 0 };
    const started = Date.now();
    const until = started + LOAD_MS;
    const clients = [
      load(victim, onVictim, until, victimTally),
      load(survivor, onSurvivor, until, survivorTally),
    ];

    // Kill once the victim has delivered some results and holds leases of requests in flight, in
    // a quiet moment between two of its answers: within one database round trip after an answer
    // is handed over, its charge may not be written yet (a death then costs that charge, never a
    // double bill), and the equality below could not tell that apart from a bug.
    while (
      Date.now() - started < KILL_AFTER_MS ||
      victimTally.ok < 5 ||
      Date.now() - victimTally.lastAnswerAt < 50 ||
      (await usedToday(dataSource, onVictim.id)) - victimTally.ok < 2
    ) {
      expect(Date.now()).toBeLessThan(until);
      await sleep(5);
    }
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    const seenAtKill = victimTally.ok;
    const heldAtKill = await leasesOf(onVictim);
    const countedAtKill = await usedToday(dataSource, onVictim.id);
    expect(heldAtKill).toBeGreaterThan(0);
    expect(countedAtKill).toBeGreaterThan(seenAtKill);

    await Promise.all(clients);
    // The survivor settles its own requests at once; the victim's leases wait for their expiry.
    const leaseMs = OCR_TIMEOUT_MS + LEASE_GRACE_MS;
    for (const key of [onSurvivor, onVictim]) {
      const deadline = Date.now() + leaseMs + 15_000;
      while ((await leasesOf(key)) > 0) {
        expect(Date.now()).toBeLessThan(deadline);
        await sleep(100);
      }
    }
    const releasedAfterMs = Date.now() - killedAt;

    const billed = {
      victim: await usedToday(dataSource, onVictim.id),
      survivor: await usedToday(dataSource, onSurvivor.id),
    };
    console.log(
      `gateway kill -9 at ${killedAt - started} ms of load: victim clients saw ${victimTally.ok} x 200 ` +
        `(${seenAtKill} before the kill, ${victimTally.failed} failed), the table held ${countedAtKill} ` +
        `(${heldAtKill} leases in flight) and says ${billed.victim} after ${releasedAfterMs} ms; survivor ` +
        `clients saw ${survivorTally.ok} x 200 (${survivorTally.failed} other), the table says ${billed.survivor}`,
    );
    expect(billed).toEqual({ victim: victimTally.ok, survivor: survivorTally.ok });
    expect(survivorTally.ok).toBeGreaterThan(0);
  });
});
