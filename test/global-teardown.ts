import { stopTestDatabase } from './support/database';

export default async function globalTeardown(): Promise<void> {
  await stopTestDatabase();
}
