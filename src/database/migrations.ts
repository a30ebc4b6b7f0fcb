import { DataSource } from 'typeorm';
import type { AppConfig } from '../config';
import { dataSourceOptions } from './data-source.options';

/** Applies every pending migration, each in its own transaction; returns their names. */
export async function runMigrations(config: AppConfig, url: string): Promise<string[]> {
  const dataSource = await new DataSource(dataSourceOptions(config, url)).initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Undoes the most recent migration. */
export async function revertLastMigration(config: AppConfig, url: string): Promise<void> {
  const dataSource = await new DataSource(dataSourceOptions(config, url)).initialize();
  try {
    await dataSource.undoLastMigration({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
