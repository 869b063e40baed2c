import { describe, expect, it } from 'vitest';
import { greatCircleKm } from '../src/store/geo-distance.js';
import { GeoGrid } from '../src/store/geo-grid.js';

interface Point {
  id: number;
  lat: number;
  lon: number;
}

/** mulberry32: the same points on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const within = (grid: GeoGrid<Point>, lat: number, lon: number, radiusKm: number): number[] => {
  const found = new Set<number>();
  grid.near(lat, lon, radiusKm, (point) => {
    if (greatCircleKm(lat, lon, point.lat, point.lon) <= radiusKm) found.add(point.id);
  });
  return [...found].sort((a, b) => a - b);
};

const bruteForce = (points: Point[], lat: number, lon: number, radiusKm: number): number[] =>
  points
    .filter((point) => greatCircleKm(lat, lon, point.lat, point.lon) <= radiusKm)
    .map((point) => point.id)
    .sort((a, b) => a - b);

describe('GeoGrid', () => {
  const random = seededRandom(7);
  // Spread over the globe, plus clusters where bounding boxes are hard: the poles' edge
  // of Redis's range, and both sides of the 180° meridian.
  const points: Point[] = [];
  const add = (lat: number, lon: number): void => {
    points.push({ id: points.length, lat, lon });
  };
  for (let i = 0; i < 3000; i += 1) add(random() * 170.1 - 85.05, random() * 360 - 180);
  for (let i = 0; i < 500; i += 1) add(84 + random() * 1.05, random() * 360 - 180);
  for (let i = 0; i < 500; i += 1) add(random() * 20 - 10, random() < 0.5 ? 179 + random() : -180 + random());
  add(0, 180);
  add(0, -180);
  const grid = new GeoGrid<Point>();
  for (const point of points) grid.add(point, point.lat, point.lon);

  it('finds exactly what a full scan finds, at any radius, near the poles and across 180°', () => {
    const queries: [number, number][] = [
      [51.5, -0.13],
      [85.05, 0],
      [-85.05, 120],
      [0, 179.9],
      [0, -179.9],
      [60, 179.5],
      ...Array.from({ length: 60 }, (): [number, number] => [random() * 170 - 85, random() * 360 - 180]),
    ];
    for (const [lat, lon] of queries) {
      for (const radiusKm of [10, 250, 1000, 4000, 9000, 16000, 20050]) {
        expect(within(grid, lat, lon, radiusKm), `${radiusKm} km around ${lat}, ${lon}`).toEqual(
          bruteForce(points, lat, lon, radiusKm),
        );
      }
    }
  });

  it('forgets what was removed, and visits only nearby cells for a small circle', () => {
    const small = new GeoGrid<Point>();
    const paris = { id: 1, lat: 48.86, lon: 2.35 };
    const tokyo = { id: 2, lat: 35.68, lon: 139.69 };
    for (const point of [paris, tokyo]) small.add(point, point.lat, point.lon);
    for (let i = 3; i < 100; i += 1) small.add({ id: i, lat: -40, lon: -60 }, -40, -60);
    const visited: number[] = [];
    small.near(48.9, 2.3, 100, (point) => visited.push(point.id));
    expect(visited).toEqual([1]);
    small.remove(paris, paris.lat, paris.lon);
    expect(small.size).toBe(98);
    expect(within(small, 48.9, 2.3, 20_050)).not.toContain(1);
    expect(within(small, 35.7, 139.7, 50)).toEqual([2]);
  });
});
