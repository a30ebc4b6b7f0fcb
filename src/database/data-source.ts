import { DataSource } from 'typeorm';
import { loadConfig } from '../config';
import { dataSourceOptions } from './data-source.options';
import { resolveDatabaseUrl } from './embedded-postgres';

/**
 * For the TypeORM CLI (`-d`). Use it through `npm run migration:*`, which starts the embedded
 * server first when DATABASE_URL is unset.
 */
const config = loadConfig();
export default new DataSource(dataSourceOptions(config, resolveDatabaseUrl(config)));
