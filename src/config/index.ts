export { AppConfig, ConfigError, loadConfig, childEnvironment } from './app-config';
export type { AppConfigValues, TrustProxy } from './app-config';
export { ConfigModule } from './config.module';
export { DEFAULT_TIERS, keyRate, tierLimits } from './tiers';
export type { TierLimits, Tiers } from './tiers';
export type { LogLevel } from './env.dto';
