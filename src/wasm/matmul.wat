;; Matrix multiplication in WebAssembly SIMD: the stand-in for src/tensor/kernels/matmul.ts.
;;
;;   c[i, j] = sum_p a[i, p] * b[p, j]        a [n, k], b [k, m], c [n, m], row-major float32
;;
;; Accumulation is float32 (the TypeScript reference accumulates in float64); the error bound is
;; the usual |c - c_exact| <= k * 2^-24 * sum_p |a[i, p]| |b[p, j]| (see docs/wasm.md).
;;
;; ## Scheme
;; b is first packed into panels of 8 columns, zero-padded past m:
;;   bp [ceil(m / 8), k, 8]       bp[q, p, t] = b[p, 8q + t]
;; so that the micro-kernel reads one panel as a contiguous stream of 8 floats per p. The
;; micro-kernel computes a 4 x 8 tile of c in eight f32x4 registers: for each p it loads the two
;; vectors of the panel row, splats a[i + r, p] for the four rows r, and accumulates
;; c[i + r, 8q .. 8q + 8] += a[i + r, p] * bp[q, p, 0 .. 8]. One panel (k x 8 floats, 16 KiB for
;; k = 512) stays in L1 while every 4-row block of a streams past it.
;; A last panel of 1 to 4 columns (m mod 8 in 1 .. 4: m = 100, Linear's usual width) runs a 4 x 4
;; micro-kernel over the panel's first four columns instead, skipping the multiply-adds with the
;; padding that the 4 x 8 one would do.
;; Rows past n read row n - 1 again (their results are not stored); columns past m are computed
;; from the padding (zeros from pack_b, copies of b's last row from pack_bt) and not stored.
;;
;; ## Transposed operands (Linear: y = x W^T, dW = dy^T x)
;; For c = a @ b^T with b [m, k], pack_bt packs b^T straight from b (bp[q, p, t] = b[8q + t, p]), so
;; gemm runs unchanged and no transposed copy of b is made. It reads four floats of each of the
;; panel's eight rows at once and transposes them in registers (60 x 784 x 100: 9 us, against 41 us
;; one float at a time). For c = a^T @ b with a [k, n],
;; transpose writes a^T [n, k] into the arena as it copies (the copy-in happens anyway); it costs
;; n k moves against the n k m multiply-adds of the product.
;;
;; ## Memory
;; Imported, shared with the norm modules. Bytes [128, 160) are this module's scratch for a partial row.
(module
  (import "env" "memory" (memory 1))

  (global $ROW_SCRATCH i32 (i32.const 128))

  ;; bp[q, p, t] = b[p, 8q + t] (0 past m). b [k, m] f32, bp [ceil(m / 8), k, 8] f32.
  (func (export "pack_b") (param $b i32) (param $k i32) (param $m i32) (param $bp i32)
    (local $q i32) (local $p i32) (local $t i32) (local $cols i32) (local $src i32)
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (i32.shl (local.get $q) (i32.const 3)) (local.get $m)))
        (local.set $cols (i32.sub (local.get $m) (i32.shl (local.get $q) (i32.const 3))))
        (local.set $src (i32.add (local.get $b) (i32.shl (i32.shl (local.get $q) (i32.const 3)) (i32.const 2))))
        (local.set $p (i32.const 0))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $k)))
            (if (i32.ge_u (local.get $cols) (i32.const 8))
              (then
                (v128.store (local.get $bp) (v128.load (local.get $src)))
                (v128.store offset=16 (local.get $bp) (v128.load offset=16 (local.get $src))))
              (else
                (v128.store (local.get $bp) (v128.const i32x4 0 0 0 0))
                (v128.store offset=16 (local.get $bp) (v128.const i32x4 0 0 0 0))
                (local.set $t (i32.const 0))
                (block $colsDone
                  (loop $col
                    (br_if $colsDone (i32.ge_u (local.get $t) (local.get $cols)))
                    (f32.store (i32.add (local.get $bp) (i32.shl (local.get $t) (i32.const 2)))
                      (f32.load (i32.add (local.get $src) (i32.shl (local.get $t) (i32.const 2)))))
                    (local.set $t (i32.add (local.get $t) (i32.const 1)))
                    (br $col)))))
            (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
            (local.set $src (i32.add (local.get $src) (i32.shl (local.get $m) (i32.const 2))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $row)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $panel))))

  ;; bp[q, p, t] = b[8q + t, p]: the panels of b^T read from b in place. b [m, k] f32.
  ;; Rows past m repeat row m - 1: gemm computes those columns but never stores them. Four p at a
  ;; time, each of the eight rows' four floats is one load and two 4 x 4 transposes (rows 0-3 and
  ;; 4-7, eight shuffles each) turn them into the four panel rows; the last k mod 4 p go one float
  ;; at a time.
  (func (export "pack_bt") (param $b i32) (param $k i32) (param $m i32) (param $bp i32)
    (local $q i32) (local $p i32) (local $t i32) (local $rowBytes i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $r4 i32) (local $r5 i32) (local $r6 i32) (local $r7 i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $v4 v128) (local $v5 v128) (local $v6 v128) (local $v7 v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local.set $rowBytes (i32.shl (local.get $k) (i32.const 2)))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (i32.shl (local.get $q) (i32.const 3)) (local.get $m)))
        ;; r_t = &b[min(8q + t, m - 1), 0]
        (local.set $t (i32.add (i32.shl (local.get $q) (i32.const 3)) (i32.const 0)))
        (if (i32.ge_u (local.get $t) (local.get $m)) (then (local.set $t (i32.sub (local.get $m) (i32.const 1)))))
        (local.set $r0 (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $t (i32.add (i32.shl (local.get $q) (i32.const 3)) (i32.const 1)))
        (if (i32.ge_u (local.get $t) (local.get $m)) (then (local.set $t (i32.sub (local.get $m) (i32.const 1)))))
        (local.set $r1 (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $t (i32.add (i32.shl (local.get $q) (i32.const 3)) (i32.const 2)))
        (if (i32.ge_u (local.get $t) (local.get $m)) (then (local.set $t (i32.sub (local.get $m) (i32.const 1)))))
        (local.set $r2 (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $t (i32.add (i32.shl (local.get $q) (i32.const 3)) (i32.const 3)))
        (if (i32.ge_u (local.get $t) (local.get $m)) (then (local.set $t (i32.sub (local.get $m) (i32.const 1)))))
        (local.set $r3 (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $t (i32.add (i32.shl (local.get $q) (i32.const 3)) (i32.const 4)))
        (if (i32.ge_u (local.get $t) (local.get $m)) (then (local.set $t (i32.sub (local.get $m) (i32.const 1)))))
        (local.set $r4 (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $t (i32.add (i32.shl (local.get $q) (i32.const 3)) (i32.const 5)))
        (if (i32.ge_u (local.get $t) (local.get $m)) (then (local.set $t (i32.sub (local.get $m) (i32.const 1)))))
        (local.set $r5 (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $t (i32.add (i32.shl (local.get $q) (i32.const 3)) (i32.const 6)))
        (if (i32.ge_u (local.get $t) (local.get $m)) (then (local.set $t (i32.sub (local.get $m) (i32.const 1)))))
        (local.set $r6 (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $t (i32.add (i32.shl (local.get $q) (i32.const 3)) (i32.const 7)))
        (if (i32.ge_u (local.get $t) (local.get $m)) (then (local.set $t (i32.sub (local.get $m) (i32.const 1)))))
        (local.set $r7 (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $p (i32.const 0))
        (block $quadsDone
          (loop $quad
            (br_if $quadsDone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $k)))
            (local.set $v0 (v128.load (local.get $r0)))
            (local.set $v1 (v128.load (local.get $r1)))
            (local.set $v2 (v128.load (local.get $r2)))
            (local.set $v3 (v128.load (local.get $r3)))
            (local.set $v4 (v128.load (local.get $r4)))
            (local.set $v5 (v128.load (local.get $r5)))
            (local.set $v6 (v128.load (local.get $r6)))
            (local.set $v7 (v128.load (local.get $r7)))
            ;; rows 0-3 of the four panel rows, then rows 4-7
            (local.set $w0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
            (local.set $w1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
            (local.set $w2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
              (local.get $v0) (local.get $v1)))
            (local.set $w3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
              (local.get $v2) (local.get $v3)))
            (v128.store offset=0 (local.get $bp) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $w0) (local.get $w1)))
            (v128.store offset=32 (local.get $bp) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $w0) (local.get $w1)))
            (v128.store offset=64 (local.get $bp) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $w2) (local.get $w3)))
            (v128.store offset=96 (local.get $bp) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $w2) (local.get $w3)))
            (local.set $w0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v4) (local.get $v5)))
            (local.set $w1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v6) (local.get $v7)))
            (local.set $w2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
              (local.get $v4) (local.get $v5)))
            (local.set $w3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
              (local.get $v6) (local.get $v7)))
            (v128.store offset=16 (local.get $bp) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $w0) (local.get $w1)))
            (v128.store offset=48 (local.get $bp) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $w0) (local.get $w1)))
            (v128.store offset=80 (local.get $bp) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $w2) (local.get $w3)))
            (v128.store offset=112 (local.get $bp) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $w2) (local.get $w3)))
            (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.set $r1 (i32.add (local.get $r1) (i32.const 16)))
            (local.set $r2 (i32.add (local.get $r2) (i32.const 16)))
            (local.set $r3 (i32.add (local.get $r3) (i32.const 16)))
            (local.set $r4 (i32.add (local.get $r4) (i32.const 16)))
            (local.set $r5 (i32.add (local.get $r5) (i32.const 16)))
            (local.set $r6 (i32.add (local.get $r6) (i32.const 16)))
            (local.set $r7 (i32.add (local.get $r7) (i32.const 16)))
            (local.set $bp (i32.add (local.get $bp) (i32.const 128)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $quad)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $k)))
            (f32.store offset=0 (local.get $bp) (f32.load (local.get $r0)))
            (local.set $r0 (i32.add (local.get $r0) (i32.const 4)))
            (f32.store offset=4 (local.get $bp) (f32.load (local.get $r1)))
            (local.set $r1 (i32.add (local.get $r1) (i32.const 4)))
            (f32.store offset=8 (local.get $bp) (f32.load (local.get $r2)))
            (local.set $r2 (i32.add (local.get $r2) (i32.const 4)))
            (f32.store offset=12 (local.get $bp) (f32.load (local.get $r3)))
            (local.set $r3 (i32.add (local.get $r3) (i32.const 4)))
            (f32.store offset=16 (local.get $bp) (f32.load (local.get $r4)))
            (local.set $r4 (i32.add (local.get $r4) (i32.const 4)))
            (f32.store offset=20 (local.get $bp) (f32.load (local.get $r5)))
            (local.set $r5 (i32.add (local.get $r5) (i32.const 4)))
            (f32.store offset=24 (local.get $bp) (f32.load (local.get $r6)))
            (local.set $r6 (i32.add (local.get $r6) (i32.const 4)))
            (f32.store offset=28 (local.get $bp) (f32.load (local.get $r7)))
            (local.set $r7 (i32.add (local.get $r7) (i32.const 4)))
            (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $row)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $panel))))

  ;; dst[c, r] = src[r, c]: src [rows, cols] f32, dst [cols, rows] f32 (no overlap). Blocks of 4 x 4
  ;; go through registers (four loads, eight shuffles, four stores), eight columns at a time down
  ;; all the rows: the eight destination rows fill in order, each source line is read about twice.
  ;; With a power-of-two row length, storing a column at a time maps every store to the same few
  ;; cache sets; eight destination rows fit the ways of one set (sixteen did not: 2048 x 64 took
  ;; 76 us, against 20 now). The last cols mod 4 columns and rows mod 4 rows go one float at a time.
  (func (export "transpose") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $tile i32) (local $tileEnd i32) (local $cols4 i32) (local $rows4 i32)
    (local $from i32) (local $to i32) (local $srcRow i32) (local $dstRow i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local.set $srcRow (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $dstRow (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (block $tilesDone
      (loop $tileLoop
        (br_if $tilesDone (i32.ge_u (local.get $tile) (local.get $cols4)))
        (local.set $tileEnd (i32.add (local.get $tile) (i32.const 8)))
        (if (i32.gt_u (local.get $tileEnd) (local.get $cols4)) (then (local.set $tileEnd (local.get $cols4))))
        (local.set $r (i32.const 0))
        (block $bandsDone
          (loop $band
            (br_if $bandsDone (i32.ge_u (local.get $r) (local.get $rows4)))
            ;; rows r .. r + 3, columns tile .. tileEnd: from = &src[r, c], to = &dst[c, r]
            (local.set $c (local.get $tile))
            (local.set $from (i32.add (local.get $src)
              (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
            (local.set $to (i32.add (local.get $dst)
              (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
            (block $blocksDone
              (loop $block
                (br_if $blocksDone (i32.ge_u (local.get $c) (local.get $tileEnd)))
                (local.set $v0 (v128.load (local.get $from)))
                (local.set $v1 (v128.load (i32.add (local.get $from) (local.get $srcRow))))
                (local.set $v2 (v128.load (i32.add (local.get $from) (i32.shl (local.get $srcRow) (i32.const 1)))))
                (local.set $v3 (v128.load (i32.add (local.get $from) (i32.mul (local.get $srcRow) (i32.const 3)))))
                (local.set $w0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
                (local.set $w1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
                (local.set $w2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
                  (local.get $v0) (local.get $v1)))
                (local.set $w3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
                  (local.get $v2) (local.get $v3)))
                (v128.store (local.get $to)
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $w0) (local.get $w1)))
                (v128.store (i32.add (local.get $to) (local.get $dstRow))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $w0) (local.get $w1)))
                (v128.store (i32.add (local.get $to) (i32.shl (local.get $dstRow) (i32.const 1)))
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $w2) (local.get $w3)))
                (v128.store (i32.add (local.get $to) (i32.mul (local.get $dstRow) (i32.const 3)))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $w2) (local.get $w3)))
                (local.set $from (i32.add (local.get $from) (i32.const 16)))
                (local.set $to (i32.add (local.get $to) (i32.shl (local.get $dstRow) (i32.const 2))))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $block)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $band)))
        (local.set $tile (local.get $tileEnd))
        (br $tileLoop)))
    ;; the last cols mod 4 columns of rows [0, rows4), then the last rows mod 4 rows whole
    (call $transpose_rest (local.get $src) (local.get $cols) (local.get $dst) (local.get $rows)
      (i32.const 0) (local.get $rows4) (local.get $cols4) (local.get $cols))
    (call $transpose_rest (local.get $src) (local.get $cols) (local.get $dst) (local.get $rows)
      (local.get $rows4) (local.get $rows) (i32.const 0) (local.get $cols)))

  ;; dst[c, r] = src[r, c] for r in [r0, r1), c in [c0, c1), one float at a time (transpose's edges).
  (func $transpose_rest (param $src i32) (param $cols i32) (param $dst i32) (param $rows i32)
    (param $r0 i32) (param $r1 i32) (param $c0 i32) (param $c1 i32)
    (local $r i32) (local $c i32)
    (local.set $r (local.get $r0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $c (local.get $c0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $c) (local.get $c1)))
            (f32.store
              (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r))
                (i32.const 2)))
              (f32.load
                (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c))
                  (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Stores the first $cols (1..8) floats of the row (lo, hi) at dst.
  (func $store_row (param $dst i32) (param $lo v128) (param $hi v128) (param $cols i32)
    (local $t i32)
    (if (i32.ge_u (local.get $cols) (i32.const 8))
      (then
        (v128.store (local.get $dst) (local.get $lo))
        (v128.store offset=16 (local.get $dst) (local.get $hi))
        (return)))
    (v128.store (global.get $ROW_SCRATCH) (local.get $lo))
    (v128.store offset=16 (global.get $ROW_SCRATCH) (local.get $hi))
    (block $done
      (loop $col
        (br_if $done (i32.ge_u (local.get $t) (local.get $cols)))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 2)))
          (f32.load (i32.add (global.get $ROW_SCRATCH) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $col))))

  ;; c = a @ b with b packed by pack_b. a [n, k] f32, bp [ceil(m / 8), k, 8] f32, c [n, m] f32.
  (func (export "gemm") (param $a i32) (param $bp i32) (param $c i32) (param $n i32) (param $k i32) (param $m i32)
    (local $q i32) (local $cols i32) (local $panel i32) (local $panelEnd i32) (local $i i32) (local $last i32)
    (local $rowBytes i32) (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $bq i32)
    (local $dst i32) (local $b0 v128) (local $b1 v128) (local $va v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $rowBytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $last (i32.sub (local.get $n) (i32.const 1)))
    (block $panelsDone
      (loop $panelLoop
        (br_if $panelsDone (i32.ge_u (i32.shl (local.get $q) (i32.const 3)) (local.get $m)))
        (local.set $cols (i32.sub (local.get $m) (i32.shl (local.get $q) (i32.const 3))))
        (local.set $panel (i32.add (local.get $bp) (i32.mul (local.get $q) (i32.shl (local.get $k) (i32.const 5)))))
        (local.set $panelEnd (i32.add (local.get $panel) (i32.shl (local.get $k) (i32.const 5))))
        ;; A last panel of at most 4 columns: half the multiply-adds, in the 4 x 4 kernel.
        (local.set $i (select (local.get $n) (i32.const 0) (i32.le_u (local.get $cols) (i32.const 4))))
        (if (i32.le_u (local.get $cols) (i32.const 4))
          (then (call $gemm_last4 (local.get $a) (local.get $panel) (local.get $c) (local.get $n) (local.get $k)
            (local.get $m) (i32.shl (local.get $q) (i32.const 3)))))
        (block $rowsDone
          (loop $rowBlock
            (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $n)))
            ;; The four rows of a (clamped to the last row).
            (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowBytes))))
            (local.set $a1 (i32.add (local.get $a) (i32.mul
              (select (i32.add (local.get $i) (i32.const 1)) (local.get $last)
                (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $n))) (local.get $rowBytes))))
            (local.set $a2 (i32.add (local.get $a) (i32.mul
              (select (i32.add (local.get $i) (i32.const 2)) (local.get $last)
                (i32.lt_s (i32.add (local.get $i) (i32.const 2)) (local.get $n))) (local.get $rowBytes))))
            (local.set $a3 (i32.add (local.get $a) (i32.mul
              (select (i32.add (local.get $i) (i32.const 3)) (local.get $last)
                (i32.lt_s (i32.add (local.get $i) (i32.const 3)) (local.get $n))) (local.get $rowBytes))))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
            ;; The 4 x 8 micro-kernel: one p per step.
            (local.set $bq (local.get $panel))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $bq) (local.get $panelEnd)))
                (local.set $b0 (v128.load (local.get $bq)))
                (local.set $b1 (v128.load offset=16 (local.get $bq)))
                (local.set $va (v128.load32_splat (local.get $a0)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $va) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $va) (local.get $b1))))
                (local.set $va (v128.load32_splat (local.get $a1)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $va) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $va) (local.get $b1))))
                (local.set $va (v128.load32_splat (local.get $a2)))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $va) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $va) (local.get $b1))))
                (local.set $va (v128.load32_splat (local.get $a3)))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $va) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $va) (local.get $b1))))
                (local.set $a0 (i32.add (local.get $a0) (i32.const 4)))
                (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
                (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
                (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
                (local.set $bq (i32.add (local.get $bq) (i32.const 32)))
                (br $kLoop)))
            ;; Store the rows that exist.
            (local.set $dst (i32.add (local.get $c) (i32.shl
              (i32.add (i32.mul (local.get $i) (local.get $m)) (i32.shl (local.get $q) (i32.const 3))) (i32.const 2))))
            (call $store_row (local.get $dst) (local.get $c00) (local.get $c01) (local.get $cols))
            (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (then
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $m) (i32.const 2))))
              (call $store_row (local.get $dst) (local.get $c10) (local.get $c11) (local.get $cols))))
            (if (i32.lt_s (i32.add (local.get $i) (i32.const 2)) (local.get $n)) (then
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $m) (i32.const 2))))
              (call $store_row (local.get $dst) (local.get $c20) (local.get $c21) (local.get $cols))))
            (if (i32.lt_s (i32.add (local.get $i) (i32.const 3)) (local.get $n)) (then
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $m) (i32.const 2))))
              (call $store_row (local.get $dst) (local.get $c30) (local.get $c31) (local.get $cols))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rowBlock)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $panelLoop))))

  ;; The 4 x 4 micro-kernel over a panel's first four columns: columns j0 .. m - 1 (1 to 4 of them)
  ;; of c, for the last panel of gemm when m mod 8 is 1 to 4. Arguments as gemm's, panel the panel.
  (func $gemm_last4 (param $a i32) (param $panel i32) (param $c i32) (param $n i32) (param $k i32) (param $m i32)
    (param $j0 i32)
    (local $cols i32) (local $panelEnd i32) (local $i i32) (local $last i32) (local $rowBytes i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $bq i32) (local $dst i32)
    (local $b0 v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local.set $cols (i32.sub (local.get $m) (local.get $j0)))
    (local.set $rowBytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $last (i32.sub (local.get $n) (i32.const 1)))
    (local.set $panelEnd (i32.add (local.get $panel) (i32.shl (local.get $k) (i32.const 5))))
    (block $rowsDone
      (loop $rowBlock
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $a1 (i32.add (local.get $a) (i32.mul
          (select (i32.add (local.get $i) (i32.const 1)) (local.get $last)
            (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $n))) (local.get $rowBytes))))
        (local.set $a2 (i32.add (local.get $a) (i32.mul
          (select (i32.add (local.get $i) (i32.const 2)) (local.get $last)
            (i32.lt_s (i32.add (local.get $i) (i32.const 2)) (local.get $n))) (local.get $rowBytes))))
        (local.set $a3 (i32.add (local.get $a) (i32.mul
          (select (i32.add (local.get $i) (i32.const 3)) (local.get $last)
            (i32.lt_s (i32.add (local.get $i) (i32.const 3)) (local.get $n))) (local.get $rowBytes))))
        (local.set $c0 (v128.const i32x4 0 0 0 0)) (local.set $c1 (v128.const i32x4 0 0 0 0))
        (local.set $c2 (v128.const i32x4 0 0 0 0)) (local.set $c3 (v128.const i32x4 0 0 0 0))
        (local.set $bq (local.get $panel))
        (block $kDone
          (loop $kLoop
            (br_if $kDone (i32.ge_u (local.get $bq) (local.get $panelEnd)))
            (local.set $b0 (v128.load (local.get $bq)))
            (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (v128.load32_splat (local.get $a0)) (local.get $b0))))
            (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (v128.load32_splat (local.get $a1)) (local.get $b0))))
            (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (v128.load32_splat (local.get $a2)) (local.get $b0))))
            (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (v128.load32_splat (local.get $a3)) (local.get $b0))))
            (local.set $a0 (i32.add (local.get $a0) (i32.const 4)))
            (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
            (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
            (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
            (local.set $bq (i32.add (local.get $bq) (i32.const 32)))
            (br $kLoop)))
        (local.set $dst (i32.add (local.get $c) (i32.shl
          (i32.add (i32.mul (local.get $i) (local.get $m)) (local.get $j0)) (i32.const 2))))
        (call $store_row (local.get $dst) (local.get $c0) (local.get $c0) (local.get $cols))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (then
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $m) (i32.const 2))))
          (call $store_row (local.get $dst) (local.get $c1) (local.get $c1) (local.get $cols))))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 2)) (local.get $n)) (then
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $m) (i32.const 2))))
          (call $store_row (local.get $dst) (local.get $c2) (local.get $c2) (local.get $cols))))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 3)) (local.get $n)) (then
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $m) (i32.const 2))))
          (call $store_row (local.get $dst) (local.get $c3) (local.get $c3) (local.get $cols))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rowBlock))))
)
