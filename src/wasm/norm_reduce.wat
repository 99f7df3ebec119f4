;; The axis-reduction kernels, part 1: the reductions (reduce_sum, moments, backward_reduce) in
;; WebAssembly SIMD, stand-ins for the functions of the same names in src/tensor/kernels/axisReduce.ts.
;; Part 2, the elementwise passes, is norm_elementwise.wat.
;;
;; What each computes is a reference function of src/tensor/kernels/normReference.ts: reduce_sum =
;; sumReference, moments = momentsReference, backward_reduce = backwardSumsReference, within
;; float64 summation order. Shown through the backend by test/tensor/normLayouts.test.ts (every
;; layout of test/tensor/layouts.ts) and test/wasm/backwardRows.test.ts (the two-row blocks), and
;; against the TypeScript kernels by test/wasm/norm.test.ts (random plans, chunks, NaN).
;;
;; Same view, same plan as the reference: x is read as `nRuns` runs of `inner` contiguous float32,
;; run r starting at element r * inner, with statistic index runStat[r] (+ j if innerStat) and
;; parameter index runParam[r] (+ j if innerParam) for element j of the run. See the header of
;; axisReduce.ts for how each norm maps onto a plan, docs/derivations/normalization.md for the
;; backward math and docs/wasm.md for the design.
;;
;; ## Operand convention: (pointer, step)
;; An operand that may either vary along a run or stay fixed for it comes as a pointer and a byte
;; step per element: step = element size when it varies (read ptr[j]), 0 when it is fixed, in which
;; case the pointer addresses a 16-byte splat of the value in a scratch slot, so that a vector load
;; at the same address yields the value in every lane. Loops advance pointers by 4 * step.
;;
;; ## Numerics
;; Every product and sum is float64, as in the reference: each f32x4 of x is split into two f64x2
;; halves (f64x2.promote_low_f32x4 on the low half, and on the high half moved down by a shuffle).
;; Variance is two-pass: the mean first, then the sum of squared deviations from it.
;;
;; ## Memory
;; Imported, shared with the other modules. This module's scratch: bytes [0, 96), six 16-byte
;; slots; the TypeScript arena (src/wasm/runtime.ts) lays out every other buffer per call.
(module
  (import "env" "memory" (memory 1))

  ;; Scratch slots (backward_reduce): splats of one run's mean, rstd and weight, the constant 1.0,
  ;; and the run's two sums in the uniform case.
  (global $MEAN_SLOT i32 (i32.const 0))
  (global $RSTD_SLOT i32 (i32.const 16))
  (global $SUM_G_SLOT i32 (i32.const 32))
  (global $SUM_GX_SLOT i32 (i32.const 48))
  (global $WEIGHT_SLOT i32 (i32.const 64))
  (global $ONES_SLOT i32 (i32.const 80))

  ;; ===========================================================================================
  ;; Run primitives, float64 accumulation
  ;; ===========================================================================================

  ;; sum_j x[j] over a run of n float32, in float64 (four f64x2 accumulators, 8 elements a step).
  (func $sum_run (param $x i32) (param $n i32) (result f64)
    (local $end i32) (local $end8 i32) (local $v v128) (local $u v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end8)))
        (local.set $v (v128.load (local.get $x)))
        (local.set $u (v128.load offset=16 (local.get $x)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.promote_low_f32x4 (local.get $u))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $u) (local.get $u)))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (br $step)))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; sum_j (x[j] - m)^2 over a run, in float64.
  (func $sqdev_run (param $x i32) (param $n i32) (param $m f64) (result f64)
    (local $end i32) (local $end8 i32) (local $v v128) (local $u v128) (local $mv v128) (local $d v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64) (local $e f64)
    (local.set $mv (f64x2.splat (local.get $m)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end8)))
        (local.set $v (v128.load (local.get $x)))
        (local.set $u (v128.load offset=16 (local.get $x)))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mv)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $mv)))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $u)) (local.get $mv)))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $u) (local.get $u))) (local.get $mv)))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (br $step)))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $e (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (local.get $m)))
        (local.set $s (f64.add (local.get $s) (f64.mul (local.get $e) (local.get $e))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; out[j] += x[j] for j < n (out float64): a run whose statistic advances with j.
  (func $add_run (param $x i32) (param $n i32) (param $out i32)
    (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end4)))
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $out)
          (f64x2.add (v128.load (local.get $out)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=16 (local.get $out)
          (f64x2.add (v128.load offset=16 (local.get $out)) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (f64.store (local.get $out) (f64.add (f64.load (local.get $out)) (f64.promote_f32 (f32.load (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $tail))))

  ;; out[j] += (x[j] - mean[j])^2 for j < n (mean, out float64).
  (func $add_sqdev_run (param $x i32) (param $n i32) (param $mean i32) (param $out i32)
    (local $end i32) (local $end4 i32) (local $v v128) (local $d v128) (local $e f64)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end4)))
        (local.set $v (v128.load (local.get $x)))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (v128.load (local.get $mean))))
        (v128.store (local.get $out)
          (f64x2.add (v128.load (local.get $out)) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))
          (v128.load offset=16 (local.get $mean))))
        (v128.store offset=16 (local.get $out)
          (f64x2.add (v128.load offset=16 (local.get $out)) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $mean (i32.add (local.get $mean) (i32.const 32)))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $e (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (f64.load (local.get $mean))))
        (f64.store (local.get $out) (f64.add (f64.load (local.get $out)) (f64.mul (local.get $e) (local.get $e))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $mean (i32.add (local.get $mean) (i32.const 8)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $tail))))

  ;; ===========================================================================================
  ;; reduce_sum: out[s] += sum of x over statistic s. out [statSize] float64, zeroed by the caller.
  ;; ===========================================================================================
  (func $reduce_sum (export "reduce_sum")
    (param $x i32) (param $inner i32) (param $nRuns i32) (param $runStat i32) (param $innerStat i32)
    (param $out i32)
    (local $r i32) (local $dst i32)
    (block $done
      (loop $run
        (br_if $done (i32.ge_u (local.get $r) (local.get $nRuns)))
        (local.set $dst (i32.add (local.get $out)
          (i32.shl (i32.load (i32.add (local.get $runStat) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 3))))
        (if (local.get $innerStat)
          (then (call $add_run (local.get $x) (local.get $inner) (local.get $dst)))
          (else (f64.store (local.get $dst)
            (f64.add (f64.load (local.get $dst)) (call $sum_run (local.get $x) (local.get $inner))))))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $inner) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $run))))

  ;; ===========================================================================================
  ;; moments: mean[s] = sum / count (0 when not centered), m2[s] = sum of (x - mean[s])^2.
  ;; mean, m2 [statSize] float64, zeroed by the caller. Two passes; when every statistic is one
  ;; run (LayerNorm, InstanceNorm, GroupNorm) both passes happen per run, while it is in cache.
  ;; ===========================================================================================
  (func (export "moments")
    (param $x i32) (param $inner i32) (param $nRuns i32) (param $runStat i32) (param $innerStat i32)
    (param $statSize i32) (param $count f64) (param $centered i32) (param $mean i32) (param $m2 i32)
    (local $r i32) (local $s i32) (local $xr i32) (local $m f64)
    ;; One run per statistic: a run's two passes back to back.
    (if (i32.and (i32.and (i32.eqz (local.get $innerStat)) (i32.ne (local.get $inner) (i32.const 0)))
                 (f64.eq (local.get $count) (f64.convert_i32_u (local.get $inner))))
      (then
        (block $done
          (loop $run
            (br_if $done (i32.ge_u (local.get $r) (local.get $nRuns)))
            (local.set $s (i32.shl (i32.load (i32.add (local.get $runStat) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 3)))
            (local.set $m (f64.const 0))
            (if (local.get $centered)
              (then (local.set $m (f64.div (call $sum_run (local.get $x) (local.get $inner)) (local.get $count)))))
            (f64.store (i32.add (local.get $mean) (local.get $s)) (local.get $m))
            (f64.store (i32.add (local.get $m2) (local.get $s)) (call $sqdev_run (local.get $x) (local.get $inner) (local.get $m)))
            (local.set $x (i32.add (local.get $x) (i32.shl (local.get $inner) (i32.const 2))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $run)))
        (return)))
    ;; General: pass 1, the means over the whole tensor.
    (if (local.get $centered)
      (then
        (call $reduce_sum (local.get $x) (local.get $inner) (local.get $nRuns) (local.get $runStat)
          (local.get $innerStat) (local.get $mean))
        (block $done
          (loop $stat
            (br_if $done (i32.ge_u (local.get $s) (local.get $statSize)))
            (local.set $xr (i32.add (local.get $mean) (i32.shl (local.get $s) (i32.const 3))))
            (f64.store (local.get $xr) (f64.div (f64.load (local.get $xr)) (local.get $count)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $stat)))))
    ;; Pass 2: squared deviations from them.
    (block $done
      (loop $run
        (br_if $done (i32.ge_u (local.get $r) (local.get $nRuns)))
        (local.set $s (i32.shl (i32.load (i32.add (local.get $runStat) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 3)))
        (if (local.get $innerStat)
          (then (call $add_sqdev_run (local.get $x) (local.get $inner)
            (i32.add (local.get $mean) (local.get $s)) (i32.add (local.get $m2) (local.get $s))))
          (else (f64.store (i32.add (local.get $m2) (local.get $s))
            (f64.add (f64.load (i32.add (local.get $m2) (local.get $s)))
              (call $sqdev_run (local.get $x) (local.get $inner) (f64.load (i32.add (local.get $mean) (local.get $s))))))))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $inner) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $run))))

  ;; The address of element i of a float32 array as an operand for a run: &a[i] with step 4 when it
  ;; varies along the run, else a splat of a[i] stored in scratch slot $slot with step 0.
  (func $f32_operand (param $a i32) (param $i i32) (param $varies i32) (param $slot i32) (result i32)
    (local $p i32)
    (local.set $p (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
    (if (result i32) (local.get $varies)
      (then (local.get $p))
      (else (v128.store (local.get $slot) (v128.load32_splat (local.get $p))) (local.get $slot))))

  ;; The same for a float64 array (the splat fills the 16-byte slot with two copies).
  (func $f64_operand (param $a i32) (param $i i32) (param $varies i32) (param $slot i32) (result i32)
    (local $p i32)
    (local.set $p (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 3))))
    (if (result i32) (local.get $varies)
      (then (local.get $p))
      (else (v128.store (local.get $slot) (v128.load64_splat (local.get $p))) (local.get $slot))))

  ;; ===========================================================================================
  ;; backward_reduce, float64. With xhat = (x - mean[s]) * rstd[s], g = dy, dxhat = g * weight[p]:
  ;;   sumDxhat[s] = sum dxhat,  sumDxhatXhat[s] = sum dxhat * xhat    (per statistic)
  ;;   dbias[p]    = sum g,      dweight[p]      = sum g * xhat        (per parameter)
  ;; Both pairs have the form (sum u*g, sum u*g*xhat), u = weight or 1, so one primitive computes a
  ;; pair into registers (the target is fixed along the run) or into memory (it advances with j).
  ;; mean, rstd [statSize] f64; weight [paramSize] f32 (ones if none); outputs f64, zeroed by the caller.
  ;; ===========================================================================================

  ;; *outP += sum u*g, *outQ += sum u*g*xhat over one run.
  ;; u: f32 with byte step $us; mean, rstd: f64 with byte step $ms (8 or 0).
  (func $pair_sum_reg (param $x i32) (param $dy i32) (param $n i32) (param $u i32) (param $us i32)
    (param $mean i32) (param $rstd i32) (param $ms i32) (param $outP i32) (param $outQ i32)
    (local $end i32) (local $end4 i32) (local $usv i32) (local $mh i32)
    (local $xv v128) (local $gv v128) (local $uv v128) (local $ug v128)
    (local $p0 v128) (local $p1 v128) (local $q0 v128) (local $q1 v128) (local $ugs f64) (local $ps f64) (local $qs f64)
    (local.set $usv (i32.shl (local.get $us) (i32.const 2)))
    (local.set $mh (i32.shl (local.get $ms) (i32.const 1)))   ;; byte offset of lanes 2,3 of mean/rstd
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end4)))
        (local.set $xv (v128.load (local.get $x)))
        (local.set $gv (v128.load (local.get $dy)))
        (local.set $uv (v128.load (local.get $u)))
        ;; lanes 0, 1
        (local.set $ug (f64x2.mul (f64x2.promote_low_f32x4 (local.get $uv)) (f64x2.promote_low_f32x4 (local.get $gv))))
        (local.set $p0 (f64x2.add (local.get $p0) (local.get $ug)))
        (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $ug)
          (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (v128.load (local.get $mean)))
                     (v128.load (local.get $rstd))))))
        ;; lanes 2, 3
        (local.set $xv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xv) (local.get $xv)))
        (local.set $gv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $gv) (local.get $gv)))
        (local.set $uv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $uv) (local.get $uv)))
        (local.set $ug (f64x2.mul (f64x2.promote_low_f32x4 (local.get $uv)) (f64x2.promote_low_f32x4 (local.get $gv))))
        (local.set $p1 (f64x2.add (local.get $p1) (local.get $ug)))
        (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $ug)
          (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (v128.load (i32.add (local.get $mean) (local.get $mh))))
                     (v128.load (i32.add (local.get $rstd) (local.get $mh)))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (local.get $usv)))
        (local.set $mean (i32.add (local.get $mean) (i32.shl (local.get $mh) (i32.const 1))))
        (local.set $rstd (i32.add (local.get $rstd) (i32.shl (local.get $mh) (i32.const 1))))
        (br $step)))
    (local.set $p0 (f64x2.add (local.get $p0) (local.get $p1)))
    (local.set $q0 (f64x2.add (local.get $q0) (local.get $q1)))
    (local.set $ps (f64.add (f64x2.extract_lane 0 (local.get $p0)) (f64x2.extract_lane 1 (local.get $p0))))
    (local.set $qs (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $ugs (f64.mul (f64.promote_f32 (f32.load (local.get $u))) (f64.promote_f32 (f32.load (local.get $dy)))))
        (local.set $ps (f64.add (local.get $ps) (local.get $ugs)))
        (local.set $qs (f64.add (local.get $qs)
          (f64.mul (local.get $ugs) (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (f64.load (local.get $mean)))
                                             (f64.load (local.get $rstd))))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $u (i32.add (local.get $u) (local.get $us)))
        (local.set $mean (i32.add (local.get $mean) (local.get $ms)))
        (local.set $rstd (i32.add (local.get $rstd) (local.get $ms)))
        (br $tail)))
    (f64.store (local.get $outP) (f64.add (f64.load (local.get $outP)) (local.get $ps)))
    (f64.store (local.get $outQ) (f64.add (f64.load (local.get $outQ)) (local.get $qs))))

  ;; outP[j] += u*g, outQ[j] += u*g*xhat for j < n (outP, outQ f64 arrays advancing with j).
  (func $pair_sum_mem (param $x i32) (param $dy i32) (param $n i32) (param $u i32) (param $us i32)
    (param $mean i32) (param $rstd i32) (param $ms i32) (param $outP i32) (param $outQ i32)
    (local $end i32) (local $end4 i32) (local $usv i32) (local $mh i32)
    (local $xv v128) (local $gv v128) (local $uv v128) (local $ug v128) (local $ugs f64)
    (local.set $usv (i32.shl (local.get $us) (i32.const 2)))
    (local.set $mh (i32.shl (local.get $ms) (i32.const 1)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end4)))
        (local.set $xv (v128.load (local.get $x)))
        (local.set $gv (v128.load (local.get $dy)))
        (local.set $uv (v128.load (local.get $u)))
        ;; lanes 0, 1
        (local.set $ug (f64x2.mul (f64x2.promote_low_f32x4 (local.get $uv)) (f64x2.promote_low_f32x4 (local.get $gv))))
        (v128.store (local.get $outP) (f64x2.add (v128.load (local.get $outP)) (local.get $ug)))
        (v128.store (local.get $outQ) (f64x2.add (v128.load (local.get $outQ)) (f64x2.mul (local.get $ug)
          (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (v128.load (local.get $mean)))
                     (v128.load (local.get $rstd))))))
        ;; lanes 2, 3
        (local.set $xv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xv) (local.get $xv)))
        (local.set $gv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $gv) (local.get $gv)))
        (local.set $uv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $uv) (local.get $uv)))
        (local.set $ug (f64x2.mul (f64x2.promote_low_f32x4 (local.get $uv)) (f64x2.promote_low_f32x4 (local.get $gv))))
        (v128.store offset=16 (local.get $outP) (f64x2.add (v128.load offset=16 (local.get $outP)) (local.get $ug)))
        (v128.store offset=16 (local.get $outQ) (f64x2.add (v128.load offset=16 (local.get $outQ)) (f64x2.mul (local.get $ug)
          (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (v128.load (i32.add (local.get $mean) (local.get $mh))))
                     (v128.load (i32.add (local.get $rstd) (local.get $mh)))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (local.get $usv)))
        (local.set $mean (i32.add (local.get $mean) (i32.shl (local.get $mh) (i32.const 1))))
        (local.set $rstd (i32.add (local.get $rstd) (i32.shl (local.get $mh) (i32.const 1))))
        (local.set $outP (i32.add (local.get $outP) (i32.const 32)))
        (local.set $outQ (i32.add (local.get $outQ) (i32.const 32)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $ugs (f64.mul (f64.promote_f32 (f32.load (local.get $u))) (f64.promote_f32 (f32.load (local.get $dy)))))
        (f64.store (local.get $outP) (f64.add (f64.load (local.get $outP)) (local.get $ugs)))
        (f64.store (local.get $outQ) (f64.add (f64.load (local.get $outQ))
          (f64.mul (local.get $ugs) (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (f64.load (local.get $mean)))
                                             (f64.load (local.get $rstd))))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $u (i32.add (local.get $u) (local.get $us)))
        (local.set $mean (i32.add (local.get $mean) (local.get $ms)))
        (local.set $rstd (i32.add (local.get $rstd) (local.get $ms)))
        (local.set $outP (i32.add (local.get $outP) (i32.const 8)))
        (local.set $outQ (i32.add (local.get $outQ) (i32.const 8)))
        (br $tail))))

  ;; (sum u*g, sum u*g*xhat) over one run into registers (targetVaries 0) or memory (1).
  (func $pair_sum (param $targetVaries i32) (param $x i32) (param $dy i32) (param $n i32) (param $u i32) (param $us i32)
    (param $mean i32) (param $rstd i32) (param $ms i32) (param $outP i32) (param $outQ i32)
    (if (local.get $targetVaries)
      (then (call $pair_sum_mem (local.get $x) (local.get $dy) (local.get $n) (local.get $u) (local.get $us)
        (local.get $mean) (local.get $rstd) (local.get $ms) (local.get $outP) (local.get $outQ)))
      (else (call $pair_sum_reg (local.get $x) (local.get $dy) (local.get $n) (local.get $u) (local.get $us)
        (local.get $mean) (local.get $rstd) (local.get $ms) (local.get $outP) (local.get $outQ)))))

  ;; (sum g, sum g * (x - m)) over one run whose statistic is fixed: added to *outG, *outGX.
  (func $bwd_sums_uniform (param $x i32) (param $dy i32) (param $n i32) (param $m f64) (param $outG i32) (param $outGX i32)
    (local $end i32) (local $end4 i32) (local $mv v128) (local $xv v128) (local $gv v128) (local $gl v128)
    (local $g0 v128) (local $g1 v128) (local $q0 v128) (local $q1 v128) (local $gs f64) (local $qs f64) (local $e f64)
    (local.set $mv (f64x2.splat (local.get $m)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end4)))
        (local.set $xv (v128.load (local.get $x)))
        (local.set $gv (v128.load (local.get $dy)))
        (local.set $gl (f64x2.promote_low_f32x4 (local.get $gv)))
        (local.set $g0 (f64x2.add (local.get $g0) (local.get $gl)))
        (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $gl)
          (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (local.get $mv)))))
        (local.set $gl (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $gv) (local.get $gv))))
        (local.set $g1 (f64x2.add (local.get $g1) (local.get $gl)))
        (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $gl)
          (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xv) (local.get $xv))) (local.get $mv)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (br $step)))
    (local.set $g0 (f64x2.add (local.get $g0) (local.get $g1)))
    (local.set $q0 (f64x2.add (local.get $q0) (local.get $q1)))
    (local.set $gs (f64.add (f64x2.extract_lane 0 (local.get $g0)) (f64x2.extract_lane 1 (local.get $g0))))
    (local.set $qs (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $e (f64.promote_f32 (f32.load (local.get $dy))))
        (local.set $gs (f64.add (local.get $gs) (local.get $e)))
        (local.set $qs (f64.add (local.get $qs) (f64.mul (local.get $e)
          (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (local.get $m)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (br $tail)))
    (f64.store (local.get $outG) (f64.add (f64.load (local.get $outG)) (local.get $gs)))
    (f64.store (local.get $outGX) (f64.add (f64.load (local.get $outGX)) (local.get $qs))))

  ;; One run whose statistic is fixed and whose parameter advances with j (LayerNorm, RMSNorm),
  ;; all four sums in one pass: *outP += sum g*w, *outQ += sum g*w*xhat (registers), and
  ;; dweight[j] += g*xhat, dbias[j] += g (memory, float64).
  (func $bwd_reduce_run_row (param $x i32) (param $dy i32) (param $n i32) (param $m f64) (param $r f64)
    (param $w i32) (param $dweight i32) (param $dbias i32) (param $outP i32) (param $outQ i32)
    (local $end i32) (local $end4 i32) (local $mv v128) (local $rv v128) (local $xv v128) (local $gv v128) (local $wv v128)
    (local $gl v128) (local $xhat v128) (local $gw v128)
    (local $p0 v128) (local $p1 v128) (local $q0 v128) (local $q1 v128) (local $ps f64) (local $qs f64)
    (local $e f64) (local $t f64)
    (local.set $mv (f64x2.splat (local.get $m)))
    (local.set $rv (f64x2.splat (local.get $r)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end4)))
        (local.set $xv (v128.load (local.get $x)))
        (local.set $gv (v128.load (local.get $dy)))
        (local.set $wv (v128.load (local.get $w)))
        ;; lanes 0, 1
        (local.set $gl (f64x2.promote_low_f32x4 (local.get $gv)))
        (local.set $xhat (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (local.get $mv)) (local.get $rv)))
        (local.set $gw (f64x2.mul (local.get $gl) (f64x2.promote_low_f32x4 (local.get $wv))))
        (local.set $p0 (f64x2.add (local.get $p0) (local.get $gw)))
        (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $gw) (local.get $xhat))))
        (v128.store (local.get $dweight) (f64x2.add (v128.load (local.get $dweight)) (f64x2.mul (local.get $gl) (local.get $xhat))))
        (v128.store (local.get $dbias) (f64x2.add (v128.load (local.get $dbias)) (local.get $gl)))
        ;; lanes 2, 3
        (local.set $xv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xv) (local.get $xv)))
        (local.set $gv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $gv) (local.get $gv)))
        (local.set $wv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $wv) (local.get $wv)))
        (local.set $gl (f64x2.promote_low_f32x4 (local.get $gv)))
        (local.set $xhat (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (local.get $mv)) (local.get $rv)))
        (local.set $gw (f64x2.mul (local.get $gl) (f64x2.promote_low_f32x4 (local.get $wv))))
        (local.set $p1 (f64x2.add (local.get $p1) (local.get $gw)))
        (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $gw) (local.get $xhat))))
        (v128.store offset=16 (local.get $dweight)
          (f64x2.add (v128.load offset=16 (local.get $dweight)) (f64x2.mul (local.get $gl) (local.get $xhat))))
        (v128.store offset=16 (local.get $dbias) (f64x2.add (v128.load offset=16 (local.get $dbias)) (local.get $gl)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $dweight (i32.add (local.get $dweight) (i32.const 32)))
        (local.set $dbias (i32.add (local.get $dbias) (i32.const 32)))
        (br $step)))
    (local.set $p0 (f64x2.add (local.get $p0) (local.get $p1)))
    (local.set $q0 (f64x2.add (local.get $q0) (local.get $q1)))
    (local.set $ps (f64.add (f64x2.extract_lane 0 (local.get $p0)) (f64x2.extract_lane 1 (local.get $p0))))
    (local.set $qs (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $e (f64.promote_f32 (f32.load (local.get $dy))))
        (local.set $t (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (local.get $m)) (local.get $r)))
        (local.set $ps (f64.add (local.get $ps) (f64.mul (local.get $e) (f64.promote_f32 (f32.load (local.get $w))))))
        (local.set $qs (f64.add (local.get $qs)
          (f64.mul (f64.mul (local.get $e) (f64.promote_f32 (f32.load (local.get $w)))) (local.get $t))))
        (f64.store (local.get $dweight) (f64.add (f64.load (local.get $dweight)) (f64.mul (local.get $e) (local.get $t))))
        (f64.store (local.get $dbias) (f64.add (f64.load (local.get $dbias)) (local.get $e)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $dweight (i32.add (local.get $dweight) (i32.const 8)))
        (local.set $dbias (i32.add (local.get $dbias) (i32.const 8)))
        (br $tail)))
    (f64.store (local.get $outP) (f64.add (f64.load (local.get $outP)) (local.get $ps)))
    (f64.store (local.get $outQ) (f64.add (f64.load (local.get $outQ)) (local.get $qs))))

  ;; Two consecutive runs of the row layout that start at the same parameter p (LayerNorm, RMSNorm:
  ;; any two rows), walked side by side, two columns a step. Each row's sums stay in registers, as in
  ;; $bwd_reduce_run_row: *outP += sum g*w, *outQ += sum g*w*xhat. The parameter sums of column j
  ;; are added over the two rows first, then into memory once:
  ;;   dweight[j] += g0*xhat0 + g1*xhat1,  dbias[j] += g0 + g1        (row 0, row 1)
  ;; so each float64 accumulator is loaded and stored, and weight[j] loaded and promoted, once per
  ;; two rows instead of once per row. xhat, g and every product and sum are float64 as in the one-row
  ;; kernel; only the order of the additions into dweight and dbias differs.
  ;;
  ;; Why two rows and two columns: the loop is bound by the float64 adds and the promotions, which
  ;; share the same two pipes on x64 (on a Zen 5, adds and promotions mixed run no faster than either
  ;; alone). Each element needs two promotions (x, g) and five adds (x - mean and the four sums), and
  ;; no block removes any of them; a block of B rows saves the weight's promotion (1/B per element)
  ;; and the accumulators' loads and stores: 7.5 of those operations per element with two rows,
  ;; against 8 with one, and 7.25 with four. But V8 computes the register sums last in the step, so
  ;; every row's g and xhat stay live to its end: two rows of two columns hold 13 values (4 sums,
  ;; 2 means, 2 rstds, the weight, 2 g, 2 xhat) in x64's 16 xmm registers. Four rows spilled sums to
  ;; the stack and measured no faster than one row at a time; four columns a step spilled too, and
  ;; measured slower than two. See docs/wasm.md.
  ;;
  ;; n odd: the first column is done alone, in scalars. Not the last: code after the loop that
  ;; addresses row 1 from the loop's pointers made V8 keep them live past it and spill one inside it
  ;; (15% slower). Not by the one-row kernel: two calls per block made rows of one element 1.4x
  ;; slower than one row at a time.
  (func $bwd_reduce_rows2 (param $x i32) (param $dy i32) (param $n i32)
    (param $mv0 v128) (param $rv0 v128) (param $mv1 v128) (param $rv1 v128) (param $w i32) (param $dweight i32) (param $dbias i32)
    (param $outP0 i32) (param $outQ0 i32) (param $outP1 i32) (param $outQ1 i32)
    (local $row i32) (local $end i32)
    (local $wl v128) (local $g0 v128) (local $g1 v128) (local $xhat0 v128) (local $xhat1 v128) (local $gw v128)
    (local $p0 v128) (local $q0 v128) (local $p1 v128) (local $q1 v128)
    (local $ws f64) (local $e0 f64) (local $e1 f64) (local $t0 f64) (local $t1 f64)
    (local.set $row (i32.shl (local.get $n) (i32.const 2)))   ;; bytes from row 0 to row 1
    ;; mv, rv: splats of each row's mean and rstd (v128 parameters, so that V8 keeps them in registers
    ;; rather than splatting them again each step).
    ;; n odd: the first column alone, in float64 scalars, the rows' sums into lane 0 of their
    ;; registers; the loop takes the rest.
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $ws (f64.promote_f32 (f32.load (local.get $w))))
        (local.set $e0 (f64.promote_f32 (f32.load (local.get $dy))))
        (local.set $e1 (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $row)))))
        (local.set $t0 (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (f64x2.extract_lane 0 (local.get $mv0)))
          (f64x2.extract_lane 0 (local.get $rv0))))
        (local.set $t1 (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $row))))
          (f64x2.extract_lane 0 (local.get $mv1))) (f64x2.extract_lane 0 (local.get $rv1))))
        (f64.store (local.get $dweight) (f64.add (f64.load (local.get $dweight))
          (f64.add (f64.mul (local.get $e0) (local.get $t0)) (f64.mul (local.get $e1) (local.get $t1)))))
        (f64.store (local.get $dbias) (f64.add (f64.load (local.get $dbias)) (f64.add (local.get $e0) (local.get $e1))))
        (local.set $e0 (f64.mul (local.get $e0) (local.get $ws)))
        (local.set $e1 (f64.mul (local.get $e1) (local.get $ws)))
        (local.set $p0 (f64x2.replace_lane 0 (local.get $p0) (local.get $e0)))
        (local.set $q0 (f64x2.replace_lane 0 (local.get $q0) (f64.mul (local.get $e0) (local.get $t0))))
        (local.set $p1 (f64x2.replace_lane 0 (local.get $p1) (local.get $e1)))
        (local.set $q1 (f64x2.replace_lane 0 (local.get $q1) (f64.mul (local.get $e1) (local.get $t1))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $dweight (i32.add (local.get $dweight) (i32.const 8)))
        (local.set $dbias (i32.add (local.get $dbias) (i32.const 8)))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        ;; Columns j, j+1: 8 bytes of each float32 array, promoted.
        (local.set $wl (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $w))))
        (local.set $g0 (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $dy))))
        (local.set $g1 (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dy) (local.get $row)))))
        (local.set $xhat0 (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x)))
          (local.get $mv0)) (local.get $rv0)))
        (local.set $xhat1 (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $row))))
          (local.get $mv1)) (local.get $rv1)))
        ;; The block's sums, into memory once.
        (v128.store (local.get $dweight) (f64x2.add (v128.load (local.get $dweight))
          (f64x2.add (f64x2.mul (local.get $g0) (local.get $xhat0)) (f64x2.mul (local.get $g1) (local.get $xhat1)))))
        (v128.store (local.get $dbias) (f64x2.add (v128.load (local.get $dbias)) (f64x2.add (local.get $g0) (local.get $g1))))
        ;; Each row's sums, in registers.
        (local.set $gw (f64x2.mul (local.get $g0) (local.get $wl)))
        (local.set $p0 (f64x2.add (local.get $p0) (local.get $gw)))
        (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $gw) (local.get $xhat0))))
        (local.set $gw (f64x2.mul (local.get $g1) (local.get $wl)))
        (local.set $p1 (f64x2.add (local.get $p1) (local.get $gw)))
        (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $gw) (local.get $xhat1))))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 8)))
        (local.set $w (i32.add (local.get $w) (i32.const 8)))
        (local.set $dweight (i32.add (local.get $dweight) (i32.const 16)))
        (local.set $dbias (i32.add (local.get $dbias) (i32.const 16)))
        (br $step)))
    ;; One after the other: both rows may have the same statistic (a statistic over several rows).
    (f64.store (local.get $outP0) (f64.add (f64.load (local.get $outP0))
      (f64.add (f64x2.extract_lane 0 (local.get $p0)) (f64x2.extract_lane 1 (local.get $p0)))))
    (f64.store (local.get $outQ0) (f64.add (f64.load (local.get $outQ0))
      (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0)))))
    (f64.store (local.get $outP1) (f64.add (f64.load (local.get $outP1))
      (f64.add (f64x2.extract_lane 0 (local.get $p1)) (f64x2.extract_lane 1 (local.get $p1)))))
    (f64.store (local.get $outQ1) (f64.add (f64.load (local.get $outQ1))
      (f64.add (f64x2.extract_lane 0 (local.get $q1)) (f64x2.extract_lane 1 (local.get $q1))))))

  ;; Flags: bit 0 = the per-statistic pair (sumDxhat, sumDxhatXhat) is wanted,
  ;;        bit 1 = the per-parameter pair (dbias, dweight) is wanted.
  ;; Three run kernels: statistic and parameter fixed (one pass for sum g and sum g*(x - mean), the
  ;; rest follows by scaling), statistic fixed and parameter advancing (one fused pass, two rows at a
  ;; time where they share their parameters, a last odd row alone), and the general case (one pass per
  ;; wanted pair).
  (func (export "backward_reduce")
    (param $x i32) (param $dy i32) (param $inner i32) (param $nRuns i32)
    (param $runStat i32) (param $runParam i32) (param $innerStat i32) (param $innerParam i32)
    (param $mean i32) (param $rstd i32) (param $w i32)
    (param $sumDxhat i32) (param $sumDxhatXhat i32) (param $dweight i32) (param $dbias i32) (param $flags i32)
    (local $r i32) (local $s i32) (local $p i32) (local $off i32) (local $xr i32) (local $dyr i32)
    (local $meanP i32) (local $rstdP i32) (local $ms i32) (local $ws f64) (local $sumG f64) (local $sumGXhat f64)
    (local $s1 i32)
    (local.set $ms (i32.shl (local.get $innerStat) (i32.const 3)))
    ;; The constant 1.0, splatted, as the u of the parameter pair.
    (v128.store (global.get $ONES_SLOT) (f32x4.splat (f32.const 1)))
    (block $done
      (loop $run
        (br_if $done (i32.ge_u (local.get $r) (local.get $nRuns)))
        (local.set $s (i32.load (i32.add (local.get $runStat) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $p (i32.load (i32.add (local.get $runParam) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $off (i32.mul (i32.mul (local.get $r) (local.get $inner)) (i32.const 4)))
        (local.set $xr (i32.add (local.get $x) (local.get $off)))
        (local.set $dyr (i32.add (local.get $dy) (local.get $off)))
        (if (i32.eqz (i32.or (local.get $innerStat) (local.get $innerParam)))
          (then
            ;; Statistic and parameter both fixed along the run (BatchNorm2d, GroupNorm, InstanceNorm):
            ;; sum g*xhat = rstd * sum g*(x - mean); the statistic pair is weight[p] times (sum g, sum g*xhat).
            (f64.store (global.get $SUM_G_SLOT) (f64.const 0))
            (f64.store (global.get $SUM_GX_SLOT) (f64.const 0))
            (call $bwd_sums_uniform (local.get $xr) (local.get $dyr) (local.get $inner)
              (f64.load (i32.add (local.get $mean) (i32.shl (local.get $s) (i32.const 3))))
              (global.get $SUM_G_SLOT) (global.get $SUM_GX_SLOT))
            (local.set $sumG (f64.load (global.get $SUM_G_SLOT)))
            (local.set $sumGXhat (f64.mul (f64.load (global.get $SUM_GX_SLOT))
              (f64.load (i32.add (local.get $rstd) (i32.shl (local.get $s) (i32.const 3))))))
            (local.set $off (i32.shl (local.get $p) (i32.const 3)))
            (f64.store (i32.add (local.get $dbias) (local.get $off))
              (f64.add (f64.load (i32.add (local.get $dbias) (local.get $off))) (local.get $sumG)))
            (f64.store (i32.add (local.get $dweight) (local.get $off))
              (f64.add (f64.load (i32.add (local.get $dweight) (local.get $off))) (local.get $sumGXhat)))
            (local.set $ws (f64.promote_f32 (f32.load (i32.add (local.get $w) (i32.shl (local.get $p) (i32.const 2))))))
            (local.set $off (i32.shl (local.get $s) (i32.const 3)))
            (f64.store (i32.add (local.get $sumDxhat) (local.get $off))
              (f64.add (f64.load (i32.add (local.get $sumDxhat) (local.get $off))) (f64.mul (local.get $ws) (local.get $sumG))))
            (f64.store (i32.add (local.get $sumDxhatXhat) (local.get $off))
              (f64.add (f64.load (i32.add (local.get $sumDxhatXhat) (local.get $off))) (f64.mul (local.get $ws) (local.get $sumGXhat)))))
          (else (if (i32.eqz (local.get $innerStat))
            (then
              ;; Statistic fixed, parameter advancing (LayerNorm, RMSNorm): one fused pass, two rows at
              ;; a time where the next run starts at the same parameter.
              (if (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $nRuns))
                (then (if (i32.eq (i32.load offset=4 (i32.add (local.get $runParam) (i32.shl (local.get $r) (i32.const 2))))
                                  (local.get $p))
                  (then
                    (local.set $s1 (i32.load offset=4 (i32.add (local.get $runStat) (i32.shl (local.get $r) (i32.const 2)))))
                    (call $bwd_reduce_rows2 (local.get $xr) (local.get $dyr) (local.get $inner)
                      (v128.load64_splat (i32.add (local.get $mean) (i32.shl (local.get $s) (i32.const 3))))
                      (v128.load64_splat (i32.add (local.get $rstd) (i32.shl (local.get $s) (i32.const 3))))
                      (v128.load64_splat (i32.add (local.get $mean) (i32.shl (local.get $s1) (i32.const 3))))
                      (v128.load64_splat (i32.add (local.get $rstd) (i32.shl (local.get $s1) (i32.const 3))))
                      (i32.add (local.get $w) (i32.shl (local.get $p) (i32.const 2)))
                      (i32.add (local.get $dweight) (i32.shl (local.get $p) (i32.const 3)))
                      (i32.add (local.get $dbias) (i32.shl (local.get $p) (i32.const 3)))
                      (i32.add (local.get $sumDxhat) (i32.shl (local.get $s) (i32.const 3)))
                      (i32.add (local.get $sumDxhatXhat) (i32.shl (local.get $s) (i32.const 3)))
                      (i32.add (local.get $sumDxhat) (i32.shl (local.get $s1) (i32.const 3)))
                      (i32.add (local.get $sumDxhatXhat) (i32.shl (local.get $s1) (i32.const 3))))
                    (local.set $r (i32.add (local.get $r) (i32.const 2)))
                    (br $run)))))
              (call $bwd_reduce_run_row (local.get $xr) (local.get $dyr) (local.get $inner)
                (f64.load (i32.add (local.get $mean) (i32.shl (local.get $s) (i32.const 3))))
                (f64.load (i32.add (local.get $rstd) (i32.shl (local.get $s) (i32.const 3))))
                (i32.add (local.get $w) (i32.shl (local.get $p) (i32.const 2)))
                (i32.add (local.get $dweight) (i32.shl (local.get $p) (i32.const 3)))
                (i32.add (local.get $dbias) (i32.shl (local.get $p) (i32.const 3)))
                (i32.add (local.get $sumDxhat) (i32.shl (local.get $s) (i32.const 3)))
                (i32.add (local.get $sumDxhatXhat) (i32.shl (local.get $s) (i32.const 3)))))
            (else
              ;; Statistic advancing (BatchNorm1d on (N, C)): one pass per wanted pair.
              (local.set $meanP (call $f64_operand (local.get $mean) (local.get $s) (local.get $innerStat) (global.get $MEAN_SLOT)))
              (local.set $rstdP (call $f64_operand (local.get $rstd) (local.get $s) (local.get $innerStat) (global.get $RSTD_SLOT)))
              (if (i32.and (local.get $flags) (i32.const 1))
                (then (call $pair_sum (local.get $innerStat) (local.get $xr) (local.get $dyr) (local.get $inner)
                  (call $f32_operand (local.get $w) (local.get $p) (local.get $innerParam) (global.get $WEIGHT_SLOT))
                  (i32.shl (local.get $innerParam) (i32.const 2))
                  (local.get $meanP) (local.get $rstdP) (local.get $ms)
                  (i32.add (local.get $sumDxhat) (i32.shl (local.get $s) (i32.const 3)))
                  (i32.add (local.get $sumDxhatXhat) (i32.shl (local.get $s) (i32.const 3))))))
              (if (i32.and (local.get $flags) (i32.const 2))
                (then (call $pair_sum (local.get $innerParam) (local.get $xr) (local.get $dyr) (local.get $inner)
                  (global.get $ONES_SLOT) (i32.const 0)
                  (local.get $meanP) (local.get $rstdP) (local.get $ms)
                  (i32.add (local.get $dbias) (i32.shl (local.get $p) (i32.const 3)))
                  (i32.add (local.get $dweight) (i32.shl (local.get $p) (i32.const 3))))))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $run))))
)
