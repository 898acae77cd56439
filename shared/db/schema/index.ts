export * from './auth';
export * from './platform';
export * from './sessions';
export * from './secrets';
