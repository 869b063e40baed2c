/**
 * Redis GEO measures with this earth radius (geohash_helper.c); the memory store uses the
 * same one so both stores report the same distances.
 */
export const EARTH_RADIUS_KM = 6372.797560856;

export const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** A point made ready for many haversine measurements: radians and the cosine of the latitude. */
export interface GeoPoint {
  latRad: number;
  lonRad: number;
  cosLat: number;
}

export function geoPoint(lat: number, lon: number): GeoPoint {
  const latRad = toRadians(lat);
  return { latRad, lonRad: toRadians(lon), cosLat: Math.cos(latRad) };
}

/**
 * The haversine of the central angle between two points: it grows with the distance, so
 * it orders and bounds points as the distance does, without the asin (kmOfHaversine).
 */
export function haversine(a: GeoPoint, b: GeoPoint): number {
  const u = Math.sin((b.latRad - a.latRad) / 2);
  const v = Math.sin((b.lonRad - a.lonRad) / 2);
  return u * u + a.cosLat * b.cosLat * v * v;
}

export const kmOfHaversine = (h: number): number => 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));

/** The haversine of a distance: points with haversine(...) <= haversineOfKm(r) lie within r km. */
export const haversineOfKm = (km: number): number => Math.sin(Math.min(Math.PI / 2, km / (2 * EARTH_RADIUS_KM))) ** 2;

/** Great-circle distance in km by the haversine formula, as Redis GEODIST computes it. */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return kmOfHaversine(haversine(geoPoint(lat1, lon1), geoPoint(lat2, lon2)));
}
