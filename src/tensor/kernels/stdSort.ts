/**
 * libstdc++'s std::sort, std::partial_sort and std::nth_element over (value, position) pairs, step
 * for step, so that typegrad's unstable sort and topk put equal values in the same order as torch's
 * CPU kernels (which call these on `std::pair<value, int64>` with a comparator that reads only the
 * value: ties are left wherever the algorithm's moves put them).
 *
 * The order is torch's: `before(a, b)` is `a < b` ascending (`a > b` descending), NaN after every
 * number ascending and before every number descending; two NaNs, or equal numbers, are ties.
 *
 * A learner need not read this file: the algorithms are the textbook ones (introsort: quicksort
 * with a median-of-three pivot, heapsort past a depth limit, insertion sort below 16 elements;
 * introselect; heap select + sort heap), written after libstdc++'s bits/stl_algo.h and
 * bits/stl_heap.h (GCC 4.x to 14 do the same moves). Ranges are half-open `[first, last)`.
 * test/autograd/sortTies.test.ts checks the resulting tie order against torch.
 */

/** A line being ordered: values and the positions they came from, moved together. */
export interface PairLine {
  keys: Float64Array;
  pos: Int32Array;
  /** Largest first, NaN first. */
  descending: boolean;
}

/** Introsort's switch to insertion sort (libstdc++'s _S_threshold). */
const THRESHOLD = 16;

/** torch's comparator: a goes before b (NaN counts as the largest value). */
function before(a: number, b: number, descending: boolean): boolean {
  return descending ? (a !== a && b === b) || a > b : (a === a && b !== b) || a < b;
}

function less(L: PairLine, i: number, j: number): boolean {
  return before(L.keys[i]!, L.keys[j]!, L.descending);
}

function swap(L: PairLine, i: number, j: number): void {
  const k = L.keys[i]!;
  L.keys[i] = L.keys[j]!;
  L.keys[j] = k;
  const p = L.pos[i]!;
  L.pos[i] = L.pos[j]!;
  L.pos[j] = p;
}

function move(L: PairLine, to: number, from: number): void {
  L.keys[to] = L.keys[from]!;
  L.pos[to] = L.pos[from]!;
}

/** floor(log2(n)) for n >= 1 (std::__lg). */
function lg(n: number): number {
  return 31 - Math.clz32(n);
}

// ---- heaps (bits/stl_heap.h): a max-heap under `before` -------------------------------------

function pushHeap(L: PairLine, first: number, hole: number, top: number, key: number, pos: number): void {
  let parent = Math.trunc((hole - 1) / 2);
  while (hole > top && before(L.keys[first + parent]!, key, L.descending)) {
    move(L, first + hole, first + parent);
    hole = parent;
    parent = Math.trunc((hole - 1) / 2);
  }
  L.keys[first + hole] = key;
  L.pos[first + hole] = pos;
}

function adjustHeap(L: PairLine, first: number, hole: number, len: number, key: number, pos: number): void {
  const top = hole;
  let child = hole;
  while (child < Math.trunc((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (less(L, first + child, first + child - 1)) child--;
    move(L, first + hole, first + child);
    hole = child;
  }
  if ((len & 1) === 0 && child === Math.trunc((len - 2) / 2)) {
    child = 2 * (child + 1);
    move(L, first + hole, first + child - 1);
    hole = child - 1;
  }
  pushHeap(L, first, hole, top, key, pos);
}

/** Moves `result`'s pair out, the heap's top into `result`, and re-heaps [first, last). */
function popHeap(L: PairLine, first: number, last: number, result: number): void {
  const key = L.keys[result]!;
  const pos = L.pos[result]!;
  move(L, result, first);
  adjustHeap(L, first, 0, last - first, key, pos);
}

function makeHeap(L: PairLine, first: number, last: number): void {
  const len = last - first;
  if (len < 2) return;
  for (let parent = Math.trunc((len - 2) / 2); ; parent--) {
    adjustHeap(L, first, parent, len, L.keys[first + parent]!, L.pos[first + parent]!);
    if (parent === 0) return;
  }
}

function heapSelect(L: PairLine, first: number, middle: number, last: number): void {
  makeHeap(L, first, middle);
  for (let i = middle; i < last; i++) if (less(L, i, first)) popHeap(L, first, middle, i);
}

function sortHeap(L: PairLine, first: number, last: number): void {
  while (last - first > 1) {
    last--;
    popHeap(L, first, last, last);
  }
}

/** std::partial_sort: the `middle - first` first pairs of the order, in order, at the front. */
export function partialSort(L: PairLine, first: number, middle: number, last: number): void {
  heapSelect(L, first, middle, last);
  sortHeap(L, first, middle);
}

// ---- insertion sort and partition (bits/stl_algo.h) ------------------------------------------

function unguardedLinearInsert(L: PairLine, last: number): void {
  const key = L.keys[last]!;
  const pos = L.pos[last]!;
  let next = last - 1;
  while (before(key, L.keys[next]!, L.descending)) {
    move(L, last, next);
    last = next;
    next--;
  }
  L.keys[last] = key;
  L.pos[last] = pos;
}

function insertionSort(L: PairLine, first: number, last: number): void {
  if (first === last) return;
  for (let i = first + 1; i !== last; i++) {
    if (less(L, i, first)) {
      const key = L.keys[i]!;
      const pos = L.pos[i]!;
      for (let j = i; j > first; j--) move(L, j, j - 1);
      L.keys[first] = key;
      L.pos[first] = pos;
    } else {
      unguardedLinearInsert(L, i);
    }
  }
}

function finalInsertionSort(L: PairLine, first: number, last: number): void {
  if (last - first > THRESHOLD) {
    insertionSort(L, first, first + THRESHOLD);
    for (let i = first + THRESHOLD; i !== last; i++) unguardedLinearInsert(L, i);
  } else {
    insertionSort(L, first, last);
  }
}

function moveMedianToFirst(L: PairLine, result: number, a: number, b: number, c: number): void {
  if (less(L, a, b)) {
    if (less(L, b, c)) swap(L, result, b);
    else if (less(L, a, c)) swap(L, result, c);
    else swap(L, result, a);
  } else if (less(L, a, c)) swap(L, result, a);
  else if (less(L, b, c)) swap(L, result, c);
  else swap(L, result, b);
}

function unguardedPartition(L: PairLine, first: number, last: number, pivot: number): number {
  for (;;) {
    while (less(L, first, pivot)) first++;
    last--;
    while (less(L, pivot, last)) last--;
    if (!(first < last)) return first;
    swap(L, first, last);
    first++;
  }
}

function unguardedPartitionPivot(L: PairLine, first: number, last: number): number {
  const mid = first + Math.trunc((last - first) / 2);
  moveMedianToFirst(L, first, first + 1, mid, last - 1);
  return unguardedPartition(L, first + 1, last, first);
}

function introsortLoop(L: PairLine, first: number, last: number, depthLimit: number): void {
  while (last - first > THRESHOLD) {
    if (depthLimit === 0) {
      partialSort(L, first, last, last);
      return;
    }
    depthLimit--;
    const cut = unguardedPartitionPivot(L, first, last);
    introsortLoop(L, cut, last, depthLimit);
    last = cut;
  }
}

/** std::sort: introsort, then one insertion sort pass. Not stable. */
export function introsort(L: PairLine, first: number, last: number): void {
  if (first === last) return;
  introsortLoop(L, first, last, lg(last - first) * 2);
  finalInsertionSort(L, first, last);
}

/**
 * std::nth_element: the pair that sorts to `nth` is put there, everything before it goes no later
 * in the order and everything after it no earlier; each side is otherwise unordered.
 */
export function nthElement(L: PairLine, first: number, nth: number, last: number): void {
  if (first === last || nth === last) return;
  let depthLimit = lg(last - first) * 2;
  while (last - first > 3) {
    if (depthLimit === 0) {
      heapSelect(L, first, nth + 1, last);
      swap(L, first, nth); // the nth pair to its final place
      return;
    }
    depthLimit--;
    const cut = unguardedPartitionPivot(L, first, last);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(L, first, last);
}
