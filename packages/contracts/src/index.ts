export * from './errors.ts';
export * from './permissions.ts';
export * from './catalog.ts';
export * from './api.ts';
export * from './events.ts';
export * from './telemetry.ts';
export * from './identity.ts';
export * from './evidence.ts';
