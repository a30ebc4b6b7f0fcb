export * from './process-logger';
export * from './nest-logger';
