import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../src/config.js';

describe('broker configuration', () => {
  it('takes defaults for what is unset', () => {
    const config = loadBrokerConfig({ EDGE_JOIN_TOKEN: 'a-long-enough-token' });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, ticketTtlMs: 30_000, logLevel: 'info' });
  });

  it('names every bad variable, and never echoes the token', () => {
    let message = '';
    try {
      loadBrokerConfig({ EDGE_JOIN_TOKEN: 'short', PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^broker configuration is invalid: /);
    for (const name of ['EDGE_JOIN_TOKEN', 'PORT', 'LOG_LEVEL']) expect(message).toContain(name);
    expect(message).not.toContain('short');
  });
});
