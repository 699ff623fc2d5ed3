const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of a count series, scaled from 0 to its maximum. */
export function sparkline(values: readonly number[], width = 16): string {
  if (values.length === 0) return '';
  // Long series are resampled to `width` points (the last value is kept exact).
  const points = values.length <= width ? values : Array.from({ length: width }, (_, i) => values[Math.round((i * (values.length - 1)) / (width - 1))]!);
  const max = Math.max(...points);
  if (max <= 0) return BARS[0]!.repeat(points.length);
  return points.map((v) => BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1) + 0.5))]).join('');
}
