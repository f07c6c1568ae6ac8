/**
 * SQL LIKE (`%` any run of characters, `_` one character) matched in O(pattern × text) time at
 * worst. A pattern turned into a regular expression backtracks exponentially on inputs such as
 * `%a%a%a…%ab`, which let one request stall every other; this greedy matcher only ever goes back
 * to the last `%` seen.
 */
export function likeMatcher(pattern: string, caseInsensitive: boolean): (text: string) => boolean {
  const fold = (s: string) => (caseInsensitive ? s.toLowerCase() : s);
  // By code point, so `_` matches one character even outside the Basic Multilingual Plane.
  const p = Array.from(fold(pattern));
  return (raw) => {
    const t = Array.from(fold(raw));
    let i = 0; // in t
    let j = 0; // in p
    let star = -1; // position in p just after the last %
    let resume = 0; // where in t that % began matching
    while (i < t.length) {
      if (j < p.length && p[j] === '%') {
        star = ++j;
        resume = i;
      } else if (j < p.length && (p[j] === '_' || p[j] === t[i])) {
        i++;
        j++;
      } else if (star >= 0) {
        // Let the last % take one more character, and retry what follows it.
        j = star;
        i = ++resume;
      } else {
        return false;
      }
    }
    while (j < p.length && p[j] === '%') j++;
    return j === p.length;
  };
}
