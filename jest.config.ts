import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(better-auth|@better-auth|better-call|@noble|jose|nanostores|defu|rou3|kysely|uncrypto|@standard-schema)/)'],
  testTimeout: 60_000,
  // PGlite instances are ~470 MB each; two workers keep memory and CPU in check on 2 cores.
  maxWorkers: 2,
};

export default config;
