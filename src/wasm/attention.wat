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
;; The feature axis (E, F) is contiguous in every operand (the caller declines other layouts): `scores`
;; runs it four lanes at a time for four keys at once (the last E % 4 one by one); `weighted` keeps 16 features of an
;; output row in four registers over all its terms, then 4, then 1.
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

  ;; Keys query i sees: S, or min(i + 1, S) when causal.
  (func $keys (param $i i32) (param $S i32) (param $causal i32) (result i32)
    (if (result i32) (i32.and (local.get $causal) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $S)))
      (then (i32.add (local.get $i) (i32.const 1)))
      (else (local.get $S))))

  ;; out[t] = alpha sum_e a[e] c_t[e] for the four rows c_t = c + t cStep (bytes), t < 4: four
  ;; partial-sum registers, reduced together by two rounds of shuffles; the last n % 4 one by one.
  (func $dot4 (param $a i32) (param $c i32) (param $cStep i32) (param $n i32) (param $alpha f32) (param $out i32)
    (local $e i32) (local $n4 i32) (local $av v128) (local $s0 v128) (local $s1 v128) (local $s2 v128)
    (local $s3 v128) (local $t0 v128) (local $t1 v128) (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $r v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $c1 (i32.add (local.get $c) (local.get $cStep)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $cStep)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $cStep)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $e) (local.get $n4)))
      (local.set $av (v128.load (local.get $a)))
      (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $av) (v128.load (local.get $c)))))
      (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $av) (v128.load (local.get $c1)))))
      (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $av) (v128.load (local.get $c2)))))
      (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $av) (v128.load (local.get $c3)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (local.set $c1 (i32.add (local.get $c1) (i32.const 16)))
      (local.set $c2 (i32.add (local.get $c2) (i32.const 16)))
      (local.set $c3 (i32.add (local.get $c3) (i32.const 16)))
      (local.set $e (i32.add (local.get $e) (i32.const 4)))
      (br $step)))
    ;; [s0_0 + s0_2, s1_0 + s1_2, s0_1 + s0_3, s1_1 + s1_3] and the same of s2, s3; then lane t = sum of s_t
    (local.set $t0 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $s0) (local.get $s1))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $s0) (local.get $s1))))
    (local.set $t1 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $s2) (local.get $s3))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $s2) (local.get $s3))))
    (local.set $r (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $e) (local.get $n)))
      (local.set $r (f32x4.add (local.get $r) (f32x4.mul (v128.load32_splat (local.get $a))
        (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (f32.load (local.get $c)))
          (f32.load (local.get $c1))) (f32.load (local.get $c2))) (f32.load (local.get $c3))))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (local.set $c1 (i32.add (local.get $c1) (i32.const 4)))
      (local.set $c2 (i32.add (local.get $c2) (i32.const 4)))
      (local.set $c3 (i32.add (local.get $c3) (i32.const 4)))
      (local.set $e (i32.add (local.get $e) (i32.const 1)))
      (br $tail)))
    (v128.store (local.get $out) (f32x4.mul (local.get $r) (f32x4.splat (local.get $alpha)))))

  (func (export "scores") (param $a i32) (param $aRow i32) (param $c i32) (param $cRow i32) (param $out i32)
    (param $L i32) (param $S i32) (param $E i32) (param $alpha f32) (param $causal i32) (param $fill f32)
    (local $i i32) (local $j i32) (local $seen i32) (local $cj i32) (local $cStep i32)
    (local.set $cStep (i32.shl (local.get $cRow) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $L)))
      (local.set $seen (call $keys (local.get $i) (local.get $S) (local.get $causal)))
      (local.set $j (i32.const 0))
      (local.set $cj (local.get $c))
      ;; keys seen, four at a time, then one at a time; then the masked ones
      (block $done (loop $four
        (br_if $done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $seen)))
        (call $dot4 (local.get $a) (local.get $cj) (local.get $cStep) (local.get $E) (local.get $alpha)
          (local.get $out))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $cj (i32.add (local.get $cj) (i32.shl (local.get $cStep) (i32.const 2))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $four)))
      (block $done (loop $key
        (br_if $done (i32.ge_u (local.get $j) (local.get $S)))
        (f32.store (local.get $out)
          (if (result f32) (i32.lt_u (local.get $j) (local.get $seen))
            (then (f32.mul (local.get $alpha) (call $dot (local.get $a) (local.get $cj) (local.get $E))))
            (else (local.get $fill))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $cj (i32.add (local.get $cj) (local.get $cStep)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $key)))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $aRow) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row))))

  ;; dst[0, 16) = sum over n terms x of (alpha w[x]) m_x[0, 16): w[x] at wp + x wStep, m_x at mp + x mStep
  ;; (bytes), the 16 sums in four registers.
  (func $sum16 (param $wp i32) (param $wStep i32) (param $n i32) (param $mp i32) (param $mStep i32)
    (param $alpha f32) (param $dst i32)
    (local $x i32) (local $wv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (block $done (loop $term
      (br_if $done (i32.ge_u (local.get $x) (local.get $n)))
      (local.set $wv (f32x4.splat (f32.mul (local.get $alpha) (f32.load (local.get $wp)))))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $wv) (v128.load (local.get $mp)))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $wv) (v128.load offset=16 (local.get $mp)))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $wv) (v128.load offset=32 (local.get $mp)))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $wv) (v128.load offset=48 (local.get $mp)))))
      (local.set $wp (i32.add (local.get $wp) (local.get $wStep)))
      (local.set $mp (i32.add (local.get $mp) (local.get $mStep)))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br $term)))
    (v128.store (local.get $dst) (local.get $a0))
    (v128.store offset=16 (local.get $dst) (local.get $a1))
    (v128.store offset=32 (local.get $dst) (local.get $a2))
    (v128.store offset=48 (local.get $dst) (local.get $a3)))

  ;; As $sum16 for 4 floats (lanes 4) or 1 (lanes 1).
  (func $sum4or1 (param $wp i32) (param $wStep i32) (param $n i32) (param $mp i32) (param $mStep i32)
    (param $alpha f32) (param $dst i32) (param $lanes i32)
    (local $x i32) (local $acc v128) (local $one f32) (local $wx f32)
    (block $done (loop $term
      (br_if $done (i32.ge_u (local.get $x) (local.get $n)))
      (local.set $wx (f32.mul (local.get $alpha) (f32.load (local.get $wp))))
      (if (i32.eq (local.get $lanes) (i32.const 4))
        (then (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (f32x4.splat (local.get $wx)) (v128.load (local.get $mp))))))
        (else (local.set $one (f32.add (local.get $one) (f32.mul (local.get $wx) (f32.load (local.get $mp)))))))
      (local.set $wp (i32.add (local.get $wp) (local.get $wStep)))
      (local.set $mp (i32.add (local.get $mp) (local.get $mStep)))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br $term)))
    (if (i32.eq (local.get $lanes) (i32.const 4))
      (then (v128.store (local.get $dst) (local.get $acc)))
      (else (f32.store (local.get $dst) (local.get $one)))))

  (func (export "weighted") (param $w i32) (param $m i32) (param $mRow i32) (param $out i32) (param $outRow i32)
    (param $L i32) (param $S i32) (param $F i32) (param $alpha f32) (param $causal i32) (param $transposed i32)
    (local $r i32) (local $rows i32) (local $from i32) (local $n i32) (local $f i32) (local $lanes i32)
    (local $wp i32) (local $wStep i32) (local $mp i32) (local $mStep i32) (local $o i32)
    (local.set $rows (if (result i32) (local.get $transposed) (then (local.get $S)) (else (local.get $L))))
    (local.set $mStep (i32.shl (local.get $mRow) (i32.const 2)))
    ;; the weights of row r: w[x, r] (x a query) down a column, or w[r, x] (x a key) along a row
    (local.set $wStep (if (result i32) (local.get $transposed)
      (then (i32.shl (local.get $S) (i32.const 2))) (else (i32.const 4))))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      ;; the terms x of row r: queries r .. L - 1 (transposed, causal), else all L; keys 0 .. keys(r) - 1
      (local.set $from (i32.and (i32.and (local.get $transposed) (local.get $causal)) (i32.const 1)))
      (local.set $from (if (result i32) (local.get $from) (then (local.get $r)) (else (i32.const 0))))
      (local.set $n (if (result i32) (local.get $transposed)
        (then (if (result i32) (i32.lt_u (local.get $from) (local.get $L))
          (then (i32.sub (local.get $L) (local.get $from))) (else (i32.const 0))))
        (else (call $keys (local.get $r) (local.get $S) (local.get $causal)))))
      (local.set $wp (i32.add (local.get $w) (if (result i32) (local.get $transposed)
        (then (i32.shl (i32.add (i32.mul (local.get $from) (local.get $S)) (local.get $r)) (i32.const 2)))
        (else (i32.shl (i32.mul (local.get $r) (local.get $S)) (i32.const 2))))))
      (local.set $mp (i32.add (local.get $m) (i32.mul (local.get $from) (local.get $mStep))))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (local.get $outRow)) (i32.const 2))))
      ;; 16 features at a time, then 4, then 1
      (local.set $f (i32.const 0))
      (block $wideDone (loop $wide
        (br_if $wideDone (i32.gt_u (i32.add (local.get $f) (i32.const 16)) (local.get $F)))
        (call $sum16 (local.get $wp) (local.get $wStep) (local.get $n)
          (i32.add (local.get $mp) (i32.shl (local.get $f) (i32.const 2))) (local.get $mStep) (local.get $alpha)
          (i32.add (local.get $o) (i32.shl (local.get $f) (i32.const 2))))
        (local.set $f (i32.add (local.get $f) (i32.const 16)))
        (br $wide)))
      (block $narrowDone (loop $narrow
        (br_if $narrowDone (i32.ge_u (local.get $f) (local.get $F)))
        (local.set $lanes (if (result i32) (i32.le_u (i32.add (local.get $f) (i32.const 4)) (local.get $F))
          (then (i32.const 4)) (else (i32.const 1))))
        (call $sum4or1 (local.get $wp) (local.get $wStep) (local.get $n)
          (i32.add (local.get $mp) (i32.shl (local.get $f) (i32.const 2))) (local.get $mStep) (local.get $alpha)
          (i32.add (local.get $o) (i32.shl (local.get $f) (i32.const 2))) (local.get $lanes))
        (local.set $f (i32.add (local.get $f) (local.get $lanes)))
        (br $narrow)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
)
