;; Linear's glue in WebAssembly SIMD, around matmul.wat's gemm: the stand-ins for
;; src/tensor/kernels/linear.ts (`addRows`, `sumRows`) and for the transposed copy of matmulTN.
;;
;;   transpose_blocked(src, rows, cols, dst)   dst[c, r] = src[r, c]     src [rows, cols], dst [cols, rows]
;;   add_rows(y, b, rows, cols)                y[r, j] += b[j]           y [rows, cols], b [cols], float32
;;   sum_rows(g, rows, cols, acc)              acc[j] = sum_r g[r, j]    g float32, acc [cols] float64
;;
;; ## transpose_blocked
;; Moves 4 x 4 blocks: four rows of four floats loaded, transposed in registers by four pairs of
;; shuffles, stored as four rows of dst. The loop walks down a block column of src (4 columns),
;; so the four rows of dst it writes grow sequentially; the scalar transpose of matmul.wat stores
;; one float per row of dst, each a cache line away from the last (3x slower on Linear's dW).
;; Edges (rows or cols not a multiple of 4) move one float at a time.
;;
;; ## Numerics
;; add_rows is one float32 addition per element, the reference's (it rounds the exact sum of two
;; float32 values once). sum_rows adds float32 values into float64 accumulators row after row, in
;; the reference's order, so the sums (and their rounding to float32 by the caller) are bit-equal.
;;
;; ## Memory
;; Imported, shared with the other modules; no scratch.
(module
  (import "env" "memory" (memory 1))

  ;; dst[c, r] = src[r, c] (no overlap).
  (func (export "transpose_blocked") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $rows4 i32) (local $cols4 i32) (local $rowBytes i32) (local $dstRow i32)
    (local $s i32) (local $d i32)
    (local $a v128) (local $b v128) (local $x v128) (local $y v128) (local $t0 v128) (local $t1 v128)
    (local $t2 v128) (local $t3 v128)
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $dstRow (i32.shl (local.get $rows) (i32.const 2)))
    ;; whole 4 x 4 blocks: block column c (src columns c .. c + 3), block rows r = 0, 4, ...
    (local.set $c (i32.const 0))
    (block $colsDone
      (loop $col
        (br_if $colsDone (i32.ge_u (local.get $c) (local.get $cols4)))
        (local.set $r (i32.const 0))
        (local.set $s (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $c) (local.get $dstRow))))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows4)))
            (local.set $a (v128.load (local.get $s)))
            (local.set $b (v128.load (i32.add (local.get $s) (local.get $rowBytes))))
            (local.set $x (v128.load (i32.add (local.get $s) (i32.shl (local.get $rowBytes) (i32.const 1)))))
            (local.set $y (v128.load (i32.add (local.get $s) (i32.mul (local.get $rowBytes) (i32.const 3)))))
            ;; t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3, t2 = x0 y0 x1 y1, t3 = x2 y2 x3 y3
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x) (local.get $y)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x) (local.get $y)))
            ;; column j of the block = row j of dst's block: a_j b_j x_j y_j
            (v128.store (local.get $d)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $d) (local.get $dstRow))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $d) (i32.shl (local.get $dstRow) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store (i32.add (local.get $d) (i32.mul (local.get $dstRow) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $s (i32.add (local.get $s) (i32.shl (local.get $rowBytes) (i32.const 2))))
            (local.set $d (i32.add (local.get $d) (i32.const 16)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $row)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $col)))
    ;; the edges: rows rows4 .. rows - 1 (every column), then columns cols4 .. cols - 1 (rows < rows4)
    (call $transpose_scalar (local.get $src) (local.get $rows) (local.get $cols) (local.get $dst)
      (local.get $rows4) (local.get $rows) (i32.const 0) (local.get $cols))
    (call $transpose_scalar (local.get $src) (local.get $rows) (local.get $cols) (local.get $dst)
      (i32.const 0) (local.get $rows4) (local.get $cols4) (local.get $cols)))

  ;; dst[c, r] = src[r, c] for r in [r0, r1), c in [c0, c1), one float at a time.
  (func $transpose_scalar (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
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
              (i32.add (local.get $dst)
                (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
              (f32.load (i32.add (local.get $src)
                (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; y[r, j] += b[j]: float32, four lanes at a time, the row's last cols % 4 one by one.
  (func (export "add_rows") (param $y i32) (param $b i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $cols4 i32) (local $p i32)
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $j) (local.get $cols4)))
            (local.set $p (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))
            (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
              (v128.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $vec)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $p (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))
            (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
              (f32.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $cols) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; acc[j] = sum over r of g[r, j], float64 accumulators (written from zero), rows in order.
  (func (export "sum_rows") (param $g i32) (param $rows i32) (param $cols i32) (param $acc i32)
    (local $r i32) (local $j i32) (local $cols4 i32) (local $p i32) (local $v v128)
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $j (i32.const 0))
    (block $zeroDone
      (loop $zero
        (br_if $zeroDone (i32.ge_u (local.get $j) (local.get $cols)))
        (f64.store (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 3))) (f64.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $zero)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $j) (local.get $cols4)))
            (local.set $v (v128.load (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $p (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 3))))
            (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (f64x2.promote_low_f32x4 (local.get $v))))
            (v128.store offset=16 (local.get $p) (f64x2.add (v128.load offset=16 (local.get $p))
              (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $vec)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $p (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p))
              (f64.promote_f32 (f32.load (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $cols) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))))
