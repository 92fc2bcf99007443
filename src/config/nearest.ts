// The nearest known name to a typo, for "did you mean" hints (config keys, scope names).

/** The known name closest to `typo` by edit distance, if it is close enough to be a likely typo. */
export function closestKey(typo: string, known: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const key of known) {
    const d = editDistance(typo.toLowerCase(), key);
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}
