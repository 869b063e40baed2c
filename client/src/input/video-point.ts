export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Where a point of the page falls on the picture of a `<video>` shown with
 * `object-fit: contain` (letterboxed), as fractions of the picture's width and height,
 * clamped to it. Undefined before the first frame, when the picture has no size yet.
 */
export function pictureFraction(
  clientX: number,
  clientY: number,
  box: Box,
  videoWidth: number,
  videoHeight: number,
): { x: number; y: number } | undefined {
  if (videoWidth <= 0 || videoHeight <= 0 || box.width <= 0 || box.height <= 0) return undefined;
  const scale = Math.min(box.width / videoWidth, box.height / videoHeight);
  const width = videoWidth * scale;
  const height = videoHeight * scale;
  const left = box.left + (box.width - width) / 2;
  const top = box.top + (box.height - height) / 2;
  // Five decimals: a hundredth of a pixel even at 4K, in a short message.
  const fraction = (offset: number, size: number): number =>
    Math.round(Math.min(1, Math.max(0, offset / size)) * 1e5) / 1e5;
  return { x: fraction(clientX - left, width), y: fraction(clientY - top, height) };
}
