;; Scaled dot-product attention's products in WebAssembly SIMD, for one matrix triple per call: the
;; stand-ins for `scores` and `weighted` of src/tensor/kernels/attention.ts (src/wasm/attention.ts
;; runs them per batch matrix, with elementwise.wat's softmax_rows / softmax_backward_rows between).
;;
;;   scores(a, aRow, c, cRow, out, L, S, E, alpha, causal, fill)
;;       out[i, j] = alpha sum_e a[i, e] c[j, e] for the keys j row i sees (all S, or j <= i when
;;       causal), `fill` for the others. a's rows aRow floats apart, c's cRow; out [L, S] contiguous.
;;   weighted(w, m, mRow, out, outRow, L, S, F, alpha, causal, transposed)
;;       transposed 0: out[i, :] = sum_j (alpha w[i, j]) m[j, :] over the keys j query i sees  [L, F]
;;       transposed 1: out[j, :] = sum_i (alpha w[i, j]) m[i, :] over the queries i that see j [S, F]
;;       w [L, S] contiguous; m's rows mRow floats apart, out's outRow.
;; The feature axis (E, F) is contiguous in every operand (the caller declines other layouts) and
;; runs four lanes at a time, its last E % 4 one by one.
;;
;; ## Numerics
;; float32 accumulation, like matmul.wat's gemm (the TypeScript kernel accumulates in float64):
;; |error| <= (n + 1) 2^-24 sum |terms| per sum of n terms (alpha w rounded once per term).
;;
;; ## Memory
;; Imported, shared with the other modules; no scratch.
(module
  (import "env" "memory" (memory 1))

  ;; sum_e a[e] c[e] over n floats (four partial sums, then the tail).
  (func $dot (param $a i32) (param $c i32) (param $n i32) (result f32)
    (local $e i32) (local $n4 i32) (local $acc v128) (local $sum f32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $e) (local.get $n4)))
      (local.set $acc (f32x4.add (local.get $acc)
        (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $c)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (local.set $e (i32.add (local.get $e) (i32.const 4)))
      (br $step)))
    (local.set $sum (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $e) (local.get $n)))
      (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $c)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (local.set $e (i32.add (local.get $e) (i32.const 1)))
      (br $step)))
    (local.get $sum))

  ;; y[f] += alpha x[f] over n floats.
  (func $axpy (param $y i32) (param $x i32) (param $alpha f32) (param $n i32)
    (local $f i32) (local $n4 i32) (local $av v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $av (f32x4.splat (local.get $alpha)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $f) (local.get $n4)))
      (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y))
        (f32x4.mul (v128.load (local.get $x)) (local.get $av))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $f (i32.add (local.get $f) (i32.const 4)))
      (br $step)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $f) (local.get $n)))
      (f32.store (local.get $y) (f32.add (f32.load (local.get $y))
        (f32.mul (f32.load (local.get $x)) (local.get $alpha))))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $f (i32.add (local.get $f) (i32.const 1)))
      (br $step))))

  ;; y[0, n) = 0.
  (func $zero (param $y i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
      (f32.store (local.get $y) (f32.const 0))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (br $step))))

  ;; Keys query i sees: S, or min(i + 1, S) when causal.
  (func $keys (param $i i32) (param $S i32) (param $causal i32) (result i32)
    (if (result i32) (i32.and (local.get $causal) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $S)))
      (then (i32.add (local.get $i) (i32.const 1)))
      (else (local.get $S))))

  (func (export "scores") (param $a i32) (param $aRow i32) (param $c i32) (param $cRow i32) (param $out i32)
    (param $L i32) (param $S i32) (param $E i32) (param $alpha f32) (param $causal i32) (param $fill f32)
    (local $i i32) (local $j i32) (local $seen i32) (local $cj i32)
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $L)))
      (local.set $seen (call $keys (local.get $i) (local.get $S) (local.get $causal)))
      (local.set $j (i32.const 0))
      (local.set $cj (local.get $c))
      (block $done (loop $key
        (br_if $done (i32.ge_u (local.get $j) (local.get $S)))
        (f32.store (local.get $out)
          (if (result f32) (i32.lt_u (local.get $j) (local.get $seen))
            (then (f32.mul (local.get $alpha) (call $dot (local.get $a) (local.get $cj) (local.get $E))))
            (else (local.get $fill))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $cj (i32.add (local.get $cj) (i32.shl (local.get $cRow) (i32.const 2))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $key)))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $aRow) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row))))

  (func (export "weighted") (param $w i32) (param $m i32) (param $mRow i32) (param $out i32) (param $outRow i32)
    (param $L i32) (param $S i32) (param $F i32) (param $alpha f32) (param $causal i32) (param $transposed i32)
    (local $i i32) (local $j i32) (local $seen i32) (local $rows i32) (local $wij f32) (local $rowBytes i32)
    (local $r i32)
    (local.set $rowBytes (i32.shl (local.get $outRow) (i32.const 2)))
    (local.set $rows (if (result i32) (local.get $transposed) (then (local.get $S)) (else (local.get $L))))
    (block $done (loop $zeroRows
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (call $zero (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $rowBytes))) (local.get $F))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $zeroRows)))
    ;; every (query i, key j) pair seen: out[i] += w[i, j] m[j], or out[j] += w[i, j] m[i]
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $L)))
      (local.set $seen (call $keys (local.get $i) (local.get $S) (local.get $causal)))
      (local.set $j (i32.const 0))
      (block $done (loop $key
        (br_if $done (i32.ge_u (local.get $j) (local.get $seen)))
        (local.set $wij (f32.mul (local.get $alpha) (f32.load (i32.add (local.get $w)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $S)) (local.get $j)) (i32.const 2))))))
        (if (local.get $transposed)
          (then (call $axpy
            (i32.add (local.get $out) (i32.mul (local.get $j) (local.get $rowBytes)))
            (i32.add (local.get $m) (i32.shl (i32.mul (local.get $i) (local.get $mRow)) (i32.const 2)))
            (local.get $wij) (local.get $F)))
          (else (call $axpy
            (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $rowBytes)))
            (i32.add (local.get $m) (i32.shl (i32.mul (local.get $j) (local.get $mRow)) (i32.const 2)))
            (local.get $wij) (local.get $F))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $key)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row))))
)
