;; Linear's glue in WebAssembly SIMD, around matmul.wat's gemm: the stand-ins for
;; src/tensor/kernels/linear.ts (`addRows`, `sumRows`). (dy^T for the weight gradient is
;; matmul.wat's `transpose`.)
;;
;;   add_rows(y, b, rows, cols)                y[r, j] += b[j]           y [rows, cols], b [cols], float32
;;   sum_rows(g, rows, cols, acc)              acc[j] = sum_r g[r, j]    g float32, acc [cols] float64
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
