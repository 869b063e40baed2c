/**
 * Redis GEO measures with this earth radius (geohash_helper.c); the memory store uses the
 * same one so both stores report the same distances.
 */
const EARTH_RADIUS_KM = 6372.797560856;

const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle distance in km by the haversine formula, as Redis GEODIST computes it. */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const u = Math.sin(toRadians(lat2 - lat1) / 2);
  const v = Math.sin(toRadians(lon2 - lon1) / 2);
  const a = u * u + Math.cos(toRadians(lat1)) * Math.cos(toRadians(lat2)) * v * v;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
