export * from './ticket-signing.js';
