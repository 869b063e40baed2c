export * from './ticket-signing.js';
export * from './stop-on-signal.js';
