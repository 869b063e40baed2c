import type { TitleSummary } from '@edgeplay/shared';

/** A hue from the title's id, so each title's placeholder keeps its own colour. */
export function hueOf(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return hash % 360;
}

/** Up to two letters that stand for the name: "Chromium B.S.U." → "CB", "SuperTux" → "SU". */
export function initialsOf(name: string): string {
  const words = name.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length >= 2) return `${words[0]?.[0] ?? ''}${words[1]?.[0] ?? ''}`.toUpperCase();
  return (words[0] ?? '?').slice(0, 2).toUpperCase();
}

/** A generated cover for titles without one (or whose image fails to load): initials on a gradient. */
export function placeholderCover(title: Pick<TitleSummary, 'id' | 'name'>): HTMLElement {
  const hue = hueOf(title.id);
  const art = document.createElement('div');
  art.className = 'cover placeholder';
  art.setAttribute('role', 'img');
  art.setAttribute('aria-label', `${title.name} (no cover image)`);
  art.style.background = `linear-gradient(135deg, hsl(${hue} 55% 38%), hsl(${(hue + 50) % 360} 60% 18%))`;
  art.textContent = initialsOf(title.name);
  return art;
}

/** The title's cover image, falling back to the placeholder if it is missing or does not load. */
export function coverArt(title: Pick<TitleSummary, 'id' | 'name' | 'cover'>): HTMLElement {
  if (!title.cover) return placeholderCover(title);
  const image = document.createElement('img');
  image.className = 'cover';
  image.src = title.cover;
  image.alt = `${title.name} cover`;
  image.loading = 'lazy';
  image.decoding = 'async';
  // A studio's https cover is fetched from its server: do not tell it which page asked.
  image.referrerPolicy = 'no-referrer';
  image.addEventListener('error', () => image.replaceWith(placeholderCover(title)), { once: true });
  return image;
}
