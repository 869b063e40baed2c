import { describe, expect, it } from 'vitest';
import {
  EdgeRegisterSchema,
  ErrorCode,
  InputEventSchema,
  isEdgePlayError,
  parseOrThrow,
  SessionRequestSchema,
  TitleManifestSchema,
  toErrorAnswer,
  makeError,
  TransportConnectRequestSchema,
} from '../src/index.js';

const manifest = {
  id: 'chromium-bsu',
  name: 'Chromium B.S.U.',
  command: 'chromium-bsu',
  args: ['--window'],
  env: { SDL_VIDEODRIVER: 'x11' },
  resolution: { width: 800, height: 600 },
  fps: 60,
};

describe('title manifest', () => {
  it('accepts a complete manifest and fills defaults', () => {
    const parsed = TitleManifestSchema.parse({ ...manifest, args: undefined, env: undefined });
    expect(parsed.args).toEqual([]);
    expect(parsed.env).toEqual({});
    // Sound is captured unless the manifest says the title has none.
    expect(parsed.audio).toBe(true);
    expect(TitleManifestSchema.parse({ ...manifest, audio: false }).audio).toBe(false);
  });

  it.each([
    ['an id with capitals', { id: 'Chromium' }],
    ['an empty command', { command: '' }],
    ['a fractional fps', { fps: 59.94 }],
    ['a resolution beyond 4K', { resolution: { width: 7680, height: 4320 } }],
    ['args that are not strings', { args: [1, 2] }],
    ['an env name with a space', { env: { 'BAD NAME': '1' } }],
    ['audio given as a word', { audio: 'off' }],
    ['an unknown field', { shell: 'rm -rf /' }],
  ])('refuses %s, naming the field', (_what, change) => {
    let message = '';
    try {
      parseOrThrow(TitleManifestSchema, { ...manifest, ...change }, 'title manifest');
    } catch (error) {
      expect(isEdgePlayError(error, ErrorCode.INVALID_MESSAGE)).toBe(true);
      message = (error as Error).message;
    }
    const field = Object.keys(change)[0] ?? '';
    expect(message).toContain(field === 'shell' ? 'Unrecognized key' : field);
  });
});

describe('input events', () => {
  it('accepts a key press and release', () => {
    expect(InputEventSchema.parse({ type: 'key', code: 'ArrowLeft', down: true })).toEqual({
      type: 'key',
      code: 'ArrowLeft',
      down: true,
    });
  });

  it.each([
    { type: 'key', code: 'ArrowLeft' },
    { type: 'key', code: 'Arrow Left', down: true },
    { type: 'key', code: 'A'.repeat(40), down: true },
    { type: 'mouse', x: 1, y: 2 },
    { type: 'key', code: 'KeyA', down: 'yes' },
    null,
  ])('refuses %j', (event) => {
    expect(InputEventSchema.safeParse(event).success).toBe(false);
  });
});

describe('socket messages', () => {
  it('requires a title id and a player key on session:request', () => {
    expect(SessionRequestSchema.safeParse({}).success).toBe(false);
    expect(SessionRequestSchema.safeParse({ titleId: 'chromium-bsu' }).success).toBe(false);
    expect(SessionRequestSchema.safeParse({ titleId: 'chromium-bsu', playerKey: `0x${'ab'.repeat(32)}` }).success).toBe(
      true,
    );
  });

  it('requires DTLS fingerprints on transport:connect', () => {
    expect(
      TransportConnectRequestSchema.safeParse({ transportId: 't', dtlsParameters: { fingerprints: [] } }).success,
    ).toBe(false);
  });

  it('refuses an edge registration with a non-URL signaling address', () => {
    const result = EdgeRegisterSchema.safeParse({ edgeId: 'e', signalingUrl: 'not a url', titles: [], maxSessions: 1 });
    expect(result.success).toBe(false);
  });
});

describe('coded errors', () => {
  it('keeps the code and message of an EdgePlay error', () => {
    expect(toErrorAnswer(makeError(ErrorCode.NO_CAPACITY, 'full'))).toEqual({
      ok: false,
      code: 'NO_CAPACITY',
      message: 'full',
    });
  });

  it('hides the details of an unexpected error', () => {
    expect(toErrorAnswer(new Error('/secret/path/key.pem missing'))).toEqual({
      ok: false,
      code: 'INTERNAL',
      message: 'internal error',
    });
  });
});
