/**
 * The V8 flags the broker runs with (server/package.json `start`, the local stack, the
 * placement bench, docker-compose.yml): a 64 MB young generation. With Node's
 * default the scavenges came every ~100 ms at 5,000 placements/s and took up to 15 ms each,
 * which set the p99 (43 ms, against 8 ms with the flag).
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
