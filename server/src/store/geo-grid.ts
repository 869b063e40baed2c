import { EARTH_RADIUS_KM, toRadians } from './geo-distance.js';

/*
 * A grid of 1° × 1° cells over the globe, for finding what lies near a point without
 * looking at everything: the memory store keeps one per title. A search visits the cells
 * of the circle's bounding box in latitude and longitude (the exact bounds of a spherical
 * cap, after J. P. Matuschek), which holds every point within the radius and some
 * more; the caller measures each one it is given.
 */

const CELL_DEGREES = 1;
const COLUMNS = 360 / CELL_DEGREES;
const ROWS = 180 / CELL_DEGREES;
/** Widens each bound a little, so rounding in the bound and in the caller's distance never loses a point. */
const MARGIN_DEGREES = 0.001;

const toDegrees = (radians: number): number => (radians * 180) / Math.PI;

const rowOf = (lat: number): number => Math.min(ROWS - 1, Math.max(0, Math.floor((lat + 90) / CELL_DEGREES)));
const columnOf = (lon: number): number => {
  const column = Math.floor((lon + 180) / CELL_DEGREES) % COLUMNS;
  return column < 0 ? column + COLUMNS : column;
};

interface CellBox {
  firstRow: number;
  lastRow: number;
  /** Absent: every column. Else columns from first, `count` of them, wrapping at 180°. */
  columns?: { first: number; count: number };
}

/** The cells that hold every point within radiusKm of (lat, lon); undefined for a circle a hemisphere wide or wider. */
function cellBox(lat: number, lon: number, radiusKm: number): CellBox | undefined {
  const angular = radiusKm / EARTH_RADIUS_KM;
  if (angular >= Math.PI / 2) return undefined;
  const latSpan = toDegrees(angular) + MARGIN_DEGREES;
  const [south, north] = [lat - latSpan, lat + latSpan];
  const box = { firstRow: rowOf(Math.max(-90, south)), lastRow: rowOf(Math.min(90, north)) };
  // A cap that holds a pole spans every longitude.
  if (south <= -90 || north >= 90) return box;
  const ratio = Math.sin(angular) / Math.cos(toRadians(lat));
  if (ratio >= 1) return box;
  const lonSpan = toDegrees(Math.asin(ratio)) + MARGIN_DEGREES;
  if (lonSpan >= 180) return box;
  const first = columnOf(lon - lonSpan);
  const count = Math.min(
    COLUMNS,
    Math.floor((lon + lonSpan + 180) / CELL_DEGREES) - Math.floor((lon - lonSpan + 180) / CELL_DEGREES) + 1,
  );
  return { ...box, columns: { first, count } };
}

interface Cell<T> {
  column: number;
  /** An array, not a Set: searches walk cells far more often than edges join or leave. */
  items: T[];
}

export class GeoGrid<T> {
  /** One entry per row of cells, south to north; each holds its occupied cells sorted by column. */
  private readonly rows: Cell<T>[][] = Array.from({ length: ROWS }, () => []);
  private readonly all = new Set<T>();

  get size(): number {
    return this.all.size;
  }

  add(item: T, lat: number, lon: number): void {
    const row = this.rows[rowOf(lat)] as Cell<T>[];
    const column = columnOf(lon);
    const at = firstAtOrAfter(row, column);
    const cell = row[at];
    if (cell?.column !== column) row.splice(at, 0, { column, items: [item] });
    else if (!cell.items.includes(item)) cell.items.push(item);
    this.all.add(item);
  }

  /** Takes the item out; (lat, lon) must be where it was added. */
  remove(item: T, lat: number, lon: number): void {
    const row = this.rows[rowOf(lat)] as Cell<T>[];
    const column = columnOf(lon);
    const at = firstAtOrAfter(row, column);
    const cell = row[at];
    if (cell?.column === column) {
      const index = cell.items.indexOf(item);
      if (index >= 0) cell.items.splice(index, 1);
      if (cell.items.length === 0) row.splice(at, 1);
    }
    this.all.delete(item);
  }

  /**
   * Calls `visit` for every item within radiusKm of (lat, lon) — and for some farther
   * ones: the caller measures. Only occupied cells are looked at (a binary search per
   * row of the box); for a circle wider than a hemisphere every item is visited.
   */
  near(lat: number, lon: number, radiusKm: number, visit: (item: T) => void): void {
    const box = cellBox(lat, lon, radiusKm);
    if (!box) {
      for (const item of this.all) visit(item);
      return;
    }
    const { first, count } = box.columns ?? { first: 0, count: COLUMNS };
    const last = first + count - 1;
    for (let r = box.firstRow; r <= box.lastRow; r += 1) {
      const row = this.rows[r] as Cell<T>[];
      if (row.length === 0) continue;
      visitColumns(row, first, Math.min(last, COLUMNS - 1), visit);
      // A box across the 180° meridian goes on from column 0.
      if (last >= COLUMNS) visitColumns(row, 0, last - COLUMNS, visit);
    }
  }
}

/** Index of the first cell whose column is >= column (row.length when none). */
function firstAtOrAfter<T>(row: readonly Cell<T>[], column: number): number {
  let low = 0;
  let high = row.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((row[middle] as Cell<T>).column < column) low = middle + 1;
    else high = middle;
  }
  return low;
}

function visitColumns<T>(row: readonly Cell<T>[], from: number, to: number, visit: (item: T) => void): void {
  for (let i = firstAtOrAfter(row, from); i < row.length; i += 1) {
    const cell = row[i] as Cell<T>;
    if (cell.column > to) return;
    const { items } = cell;
    for (let j = 0; j < items.length; j += 1) visit(items[j] as T);
  }
}
