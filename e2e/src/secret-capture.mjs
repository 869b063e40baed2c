/**
 * Test instrumentation, loaded into a service with `NODE_OPTIONS=--import <this file>`:
 * records every private key the process generates (generateKeyPairSync) and every HMAC key
 * it uses (createHmac), in the textual forms a log could carry them in, as JSON lines in
 * the file named by EDGEPLAY_SECRET_CAPTURE. The log-redaction e2e test then knows the
 * secrets that never leave the process (the edge's Ed25519 session keys, its watch-token
 * key) and checks that no log line holds one. Plain JavaScript: it loads before tsx.
 */
import crypto from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const out = process.env.EDGEPLAY_SECRET_CAPTURE;

/** hex (with and without 0x), base64 and base64url of some bytes. */
function bytesForms(bytes) {
  const hex = bytes.toString('hex');
  return [hex, `0x${hex}`, bytes.toString('base64'), bytes.toString('base64url')];
}

/** A private key as its raw bytes (JWK `d`, where the key type has one) and its PKCS#8 DER. */
function privateKeyForms(key) {
  if (typeof key === 'string' || Buffer.isBuffer(key)) return [String(key)];
  const forms = bytesForms(key.export({ format: 'der', type: 'pkcs8' }));
  try {
    const { d } = key.export({ format: 'jwk' });
    if (d) forms.push(...bytesForms(Buffer.from(d, 'base64url')));
  } catch {
    // not every key type exports as JWK; the DER forms are there
  }
  return forms;
}

const recorded = new Set();

function record(kind, forms) {
  // An HMAC key is used for every token: once is enough.
  if (recorded.has(forms[0])) return;
  recorded.add(forms[0]);
  appendFileSync(out, `${JSON.stringify({ kind, pid: process.pid, forms })}\n`);
}

if (out) {
  const generateKeyPairSync = crypto.generateKeyPairSync;
  crypto.generateKeyPairSync = function (type, options) {
    const pair = generateKeyPairSync.call(this, type, options);
    record(`keypair:${type}`, privateKeyForms(pair.privateKey));
    return pair;
  };
  const createHmac = crypto.createHmac;
  crypto.createHmac = function (algorithm, key, options) {
    const bytes = typeof key === 'string' ? Buffer.from(key) : Buffer.isBuffer(key) ? key : undefined;
    if (bytes) record('hmac', bytesForms(bytes));
    else if (key && typeof key === 'object' && key.type === 'secret') record('hmac', bytesForms(key.export()));
    return createHmac.call(this, algorithm, key, options);
  };
  // ES module imports of node:crypto (`import { createHmac } from 'node:crypto'`) see these too.
  syncBuiltinESMExports();
}
