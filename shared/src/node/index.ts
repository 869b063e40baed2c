export * from './ticket-signing.js';
export * from './stop-on-signal.js';
export * from '../identity/join-proof.js';
export * from '../identity/session-signer.js';
export * from './rate-limit.js';
export * from './receipt-signing.js';
