import type { IncomingHttpHeaders } from 'node:http';
import { LocationSchema, type Location } from '@edgeplay/shared';

/** The request headers in which a deployment's proxy states where a player is. */
export interface LocationHeaders {
  lat: string;
  lon: string;
}

/**
 * Parses PLAYER_LOCATION_HEADERS ("latitude-header,longitude-header"); undefined when unset.
 * Throws on anything else, so a typo does not silently leave every player at 0,0.
 */
export function parseLocationHeaders(text: string | undefined): LocationHeaders | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const names = text.split(',').map((name) => name.trim().toLowerCase());
  if (names.length !== 2 || names.some((name) => !/^[a-z0-9-]{1,64}$/.test(name))) {
    throw new Error('PLAYER_LOCATION_HEADERS must be two header names: latitude,longitude');
  }
  return { lat: names[0] ?? '', lon: names[1] ?? '' };
}

/**
 * Where the player is, as the proxy in front of the brokers says (a GeoIP lookup of the
 * player's address, e.g. nginx's geoip2 module or a CDN's geolocation headers): the page
 * itself cannot know without asking the player for permission. Undefined when not configured,
 * absent or not a valid WGS 84 position; then placement ranks by the probes alone.
 */
export function locationFromHeaders(
  headers: IncomingHttpHeaders,
  names: LocationHeaders | undefined,
): Location | undefined {
  if (!names) return undefined;
  const read = (name: string): number => {
    const value = headers[name];
    return typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  };
  const parsed = LocationSchema.safeParse({ lat: read(names.lat), lon: read(names.lon) });
  return parsed.success ? parsed.data : undefined;
}
