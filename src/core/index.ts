export * from './resources.js';
export * from './inference.js';
export * from './errors.js';
export * from './store.js';
export * from './identity.js';
export * from './safety.js';
export * from './capacity.js';
