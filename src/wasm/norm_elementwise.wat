;; The axis-reduction kernels, part 2: the elementwise passes (normalize, backward_input) in
;; WebAssembly SIMD, stand-ins for normalizeAffine and normBackwardInput in
;; src/tensor/kernels/axisReduce.ts. Part 1, the reductions, is norm_reduce.wat.
;;
;; What each computes is a reference function of src/tensor/kernels/normReference.ts: normalize =
;; normalizeReference, backward_input = backwardInputReference, within the float32 bounds stated in
;; test/tensor/normLayouts.test.ts, which shows it through the backend on every layout
;; (test/wasm/norm.test.ts and fused.test.ts: against the TypeScript kernels, chunks, hard data).
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
;; float32 arithmetic on statistics the caller rounded to float32, with the mean split in two
;; floats, mean = hi + lo (hi = f32(mean), lo = f32(mean - hi)). Then xhat = ((x - hi) - lo) * rstd
;; has |error| <= 4u |xhat| + 2u^2 |mean| rstd (u = 2^-24), even for mean 1e6 and std 1, where a
;; single float32 mean would be off by up to 0.03 (docs/wasm.md derives the bound).
;;
;; ## Memory
;; Imported, shared with the other modules. This module's scratch: bytes [96, 128), two 16-byte
;; slots; the TypeScript arena (src/wasm/runtime.ts) lays out every other buffer per call.
(module
  (import "env" "memory" (memory 1))

  ;; Scratch slots: splats of one run's weight and bias when they are fixed along the run.
  (global $WEIGHT_SLOT i32 (i32.const 96))
  (global $BIAS_SLOT i32 (i32.const 112))

  ;; ===========================================================================================
  ;; normalize: y = ((x - hi[s]) - lo[s]) * rstd[s] * weight[p] + bias[p], all float32.
  ;; hi, lo, rstd [statSize] f32 (mean = hi + lo); weight, bias [paramSize] f32 (ones and zeros
  ;; when the layer has none). x, y [nRuns * inner].
  ;; Three run loops: statistic and parameter fixed along the run (BatchNorm2d, GroupNorm,
  ;; InstanceNorm), statistic fixed and parameter varying (LayerNorm, RMSNorm), and the general one.
  ;; ===========================================================================================

  ;; y = ((x - hi) - lo) * scale + shift over one run (scale = rstd * weight, shift = bias).
  (func $normalize_run_uniform (param $x i32) (param $y i32) (param $n i32)
    (param $hi f32) (param $lo f32) (param $scale f32) (param $shift f32)
    (local $end i32) (local $end8 i32) (local $h v128) (local $l v128) (local $a v128) (local $c v128)
    (local.set $h (f32x4.splat (local.get $hi)))
    (local.set $l (f32x4.splat (local.get $lo)))
    (local.set $a (f32x4.splat (local.get $scale)))
    (local.set $c (f32x4.splat (local.get $shift)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end8)))
        (v128.store (local.get $y) (f32x4.add (local.get $c) (f32x4.mul (local.get $a)
          (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (local.get $h)) (local.get $l)))))
        (v128.store offset=16 (local.get $y) (f32x4.add (local.get $c) (f32x4.mul (local.get $a)
          (f32x4.sub (f32x4.sub (v128.load offset=16 (local.get $x)) (local.get $h)) (local.get $l)))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (local.set $y (i32.add (local.get $y) (i32.const 32)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $y) (f32.add (local.get $shift) (f32.mul (local.get $scale)
          (f32.sub (f32.sub (f32.load (local.get $x)) (local.get $hi)) (local.get $lo)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $tail))))

  ;; y[j] = ((x[j] - hi) - lo) * rstd * w[j] + b[j] over one run (w, b advance with j).
  (func $normalize_run_row (param $x i32) (param $y i32) (param $n i32)
    (param $hi f32) (param $lo f32) (param $rstd f32) (param $w i32) (param $b i32)
    (local $j i32) (local $nb i32) (local $nb8 i32) (local $h v128) (local $l v128) (local $r v128)
    (local.set $h (f32x4.splat (local.get $hi)))
    (local.set $l (f32x4.splat (local.get $lo)))
    (local.set $r (f32x4.splat (local.get $rstd)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $nb8 (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $j) (local.get $nb8)))
        (v128.store (i32.add (local.get $y) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $b) (local.get $j)))
            (f32x4.mul (v128.load (i32.add (local.get $w) (local.get $j)))
              (f32x4.mul (local.get $r)
                (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $h)) (local.get $l))))))
        (v128.store offset=16 (i32.add (local.get $y) (local.get $j))
          (f32x4.add (v128.load offset=16 (i32.add (local.get $b) (local.get $j)))
            (f32x4.mul (v128.load offset=16 (i32.add (local.get $w) (local.get $j)))
              (f32x4.mul (local.get $r)
                (f32x4.sub (f32x4.sub (v128.load offset=16 (i32.add (local.get $x) (local.get $j))) (local.get $h)) (local.get $l))))))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $j) (local.get $nb)))
        (f32.store (i32.add (local.get $y) (local.get $j))
          (f32.add (f32.load (i32.add (local.get $b) (local.get $j)))
            (f32.mul (f32.load (i32.add (local.get $w) (local.get $j)))
              (f32.mul (local.get $rstd)
                (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $j))) (local.get $hi)) (local.get $lo))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $tail))))

  ;; The general run: hi, lo, rs with byte step $ss, w, b with byte step $ps (operand convention).
  (func $normalize_run (param $x i32) (param $y i32) (param $n i32)
    (param $hi i32) (param $lo i32) (param $rs i32) (param $ss i32)
    (param $w i32) (param $b i32) (param $ps i32)
    (local $end i32) (local $end4 i32) (local $ssv i32) (local $psv i32) (local $xhat v128) (local $t f32)
    (local.set $ssv (i32.shl (local.get $ss) (i32.const 2)))
    (local.set $psv (i32.shl (local.get $ps) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end4)))
        (local.set $xhat (f32x4.mul
          (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $hi))) (v128.load (local.get $lo)))
          (v128.load (local.get $rs))))
        (v128.store (local.get $y)
          (f32x4.add (f32x4.mul (local.get $xhat) (v128.load (local.get $w))) (v128.load (local.get $b))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $hi (i32.add (local.get $hi) (local.get $ssv)))
        (local.set $lo (i32.add (local.get $lo) (local.get $ssv)))
        (local.set $rs (i32.add (local.get $rs) (local.get $ssv)))
        (local.set $w (i32.add (local.get $w) (local.get $psv)))
        (local.set $b (i32.add (local.get $b) (local.get $psv)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $t (f32.mul
          (f32.sub (f32.sub (f32.load (local.get $x)) (f32.load (local.get $hi))) (f32.load (local.get $lo)))
          (f32.load (local.get $rs))))
        (f32.store (local.get $y) (f32.add (f32.mul (local.get $t) (f32.load (local.get $w))) (f32.load (local.get $b))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $hi (i32.add (local.get $hi) (local.get $ss)))
        (local.set $lo (i32.add (local.get $lo) (local.get $ss)))
        (local.set $rs (i32.add (local.get $rs) (local.get $ss)))
        (local.set $w (i32.add (local.get $w) (local.get $ps)))
        (local.set $b (i32.add (local.get $b) (local.get $ps)))
        (br $tail))))

  ;; The address of element i of a float32 array as an operand for a run: &a[i] with step 4 when it
  ;; varies along the run, else a splat of a[i] stored in scratch slot $slot with step 0.
  (func $f32_operand (param $a i32) (param $i i32) (param $varies i32) (param $slot i32) (result i32)
    (local $p i32)
    (local.set $p (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
    (if (result i32) (local.get $varies)
      (then (local.get $p))
      (else (v128.store (local.get $slot) (v128.load32_splat (local.get $p))) (local.get $slot))))

  (func (export "normalize")
    (param $x i32) (param $y i32) (param $inner i32) (param $nRuns i32)
    (param $runStat i32) (param $runParam i32) (param $innerStat i32) (param $innerParam i32)
    (param $hi i32) (param $lo i32) (param $rs i32) (param $w i32) (param $b i32)
    (local $r i32) (local $s i32) (local $p i32) (local $off i32)
    (block $done
      (loop $run
        (br_if $done (i32.ge_u (local.get $r) (local.get $nRuns)))
        (local.set $s (i32.shl (i32.load (i32.add (local.get $runStat) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 2)))
        (local.set $p (i32.shl (i32.load (i32.add (local.get $runParam) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 2)))
        (local.set $off (i32.mul (i32.mul (local.get $r) (local.get $inner)) (i32.const 4)))
        (if (local.get $innerStat)
          (then
            (call $normalize_run
              (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $y) (local.get $off)) (local.get $inner)
              (i32.add (local.get $hi) (local.get $s)) (i32.add (local.get $lo) (local.get $s))
              (i32.add (local.get $rs) (local.get $s)) (i32.const 4)
              (call $f32_operand (local.get $w) (i32.shr_u (local.get $p) (i32.const 2)) (local.get $innerParam) (global.get $WEIGHT_SLOT))
              (call $f32_operand (local.get $b) (i32.shr_u (local.get $p) (i32.const 2)) (local.get $innerParam) (global.get $BIAS_SLOT))
              (i32.shl (local.get $innerParam) (i32.const 2))))
          (else (if (local.get $innerParam)
            (then
              (call $normalize_run_row
                (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $y) (local.get $off)) (local.get $inner)
                (f32.load (i32.add (local.get $hi) (local.get $s))) (f32.load (i32.add (local.get $lo) (local.get $s)))
                (f32.load (i32.add (local.get $rs) (local.get $s)))
                (i32.add (local.get $w) (local.get $p)) (i32.add (local.get $b) (local.get $p))))
            (else
              (call $normalize_run_uniform
                (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $y) (local.get $off)) (local.get $inner)
                (f32.load (i32.add (local.get $hi) (local.get $s))) (f32.load (i32.add (local.get $lo) (local.get $s)))
                (f32.mul (f32.load (i32.add (local.get $rs) (local.get $s))) (f32.load (i32.add (local.get $w) (local.get $p))))
                (f32.load (i32.add (local.get $b) (local.get $p))))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $run))))

  ;; ===========================================================================================
  ;; backward_input, float32: dx = rstd[s] * ((dxhat - xhat * k1[s]) - k2[s]), dxhat = dy * weight[p],
  ;; xhat = ((x - hi[s]) - lo[s]) * rstd[s], k1 = sumDxhatXhat / count, k2 = sumDxhat / count
  ;; (k2 = 0 for RMSNorm). useXhat = 0 (statistics are constants): dx = rstd * dxhat; the xhat
  ;; term is then masked out with a bitwise and, so that an infinite x cannot turn it into NaN.
  ;; hi, lo, rstd, k1, k2 [statSize] f32; weight [paramSize] f32; x, dy, dx [nRuns * inner].
  ;; Run loops as for normalize: uniform, row (weight advancing with j), general.
  ;; ===========================================================================================

  ;; One run with every statistic and the weight fixed along it.
  (func $backward_input_run_uniform (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)
    (param $hi f32) (param $lo f32) (param $rstd f32) (param $k1 f32) (param $k2 f32) (param $w f32)
    (param $xhatMask v128)
    (local $end i32) (local $end8 i32) (local $h v128) (local $l v128) (local $r v128)
    (local $a v128) (local $b v128) (local $wv v128) (local $i i32)
    (local.set $h (f32x4.splat (local.get $hi)))
    (local.set $l (f32x4.splat (local.get $lo)))
    (local.set $r (f32x4.splat (local.get $rstd)))
    (local.set $a (f32x4.splat (local.get $k1)))
    (local.set $b (v128.and (f32x4.splat (local.get $k2)) (local.get $xhatMask)))
    (local.set $wv (f32x4.splat (local.get $w)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end8)))
        ;; terms: dxhat - xhat * mean(dxhat * xhat) - mean(dxhat)
        (v128.store (local.get $dx) (f32x4.mul (local.get $r) (f32x4.sub
          (f32x4.sub (f32x4.mul (v128.load (local.get $dy)) (local.get $wv))
            (v128.and (local.get $xhatMask) (f32x4.mul (local.get $a) (f32x4.mul (local.get $r)
              (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (local.get $h)) (local.get $l))))))
          (local.get $b))))
        (v128.store offset=16 (local.get $dx) (f32x4.mul (local.get $r) (f32x4.sub
          (f32x4.sub (f32x4.mul (v128.load offset=16 (local.get $dy)) (local.get $wv))
            (v128.and (local.get $xhatMask) (f32x4.mul (local.get $a) (f32x4.mul (local.get $r)
              (f32x4.sub (f32x4.sub (v128.load offset=16 (local.get $x)) (local.get $h)) (local.get $l))))))
          (local.get $b))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 32)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 32)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store32_lane 0 (local.get $dx) (f32x4.mul (local.get $r) (f32x4.sub
          (f32x4.sub (f32x4.mul (v128.load32_splat (local.get $dy)) (local.get $wv))
            (v128.and (local.get $xhatMask) (f32x4.mul (local.get $a) (f32x4.mul (local.get $r)
              (f32x4.sub (f32x4.sub (v128.load32_splat (local.get $x)) (local.get $h)) (local.get $l))))))
          (local.get $b))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
        (br $tail))))

  ;; One run with the statistics fixed and the weight advancing with j (LayerNorm, RMSNorm).
  (func $backward_input_run_row (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)
    (param $hi f32) (param $lo f32) (param $rstd f32) (param $k1 f32) (param $k2 f32) (param $w i32)
    (param $xhatMask v128)
    (local $j i32) (local $nb i32) (local $nb8 i32) (local $h v128) (local $l v128) (local $r v128)
    (local $a v128) (local $b v128)
    (local.set $h (f32x4.splat (local.get $hi)))
    (local.set $l (f32x4.splat (local.get $lo)))
    (local.set $r (f32x4.splat (local.get $rstd)))
    (local.set $a (f32x4.splat (local.get $k1)))
    (local.set $b (v128.and (f32x4.splat (local.get $k2)) (local.get $xhatMask)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $nb8 (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $j) (local.get $nb8)))
        (v128.store (i32.add (local.get $dx) (local.get $j)) (f32x4.mul (local.get $r) (f32x4.sub
          (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $j))) (v128.load (i32.add (local.get $w) (local.get $j))))
            (v128.and (local.get $xhatMask) (f32x4.mul (local.get $a) (f32x4.mul (local.get $r)
              (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $h)) (local.get $l))))))
          (local.get $b))))
        (v128.store offset=16 (i32.add (local.get $dx) (local.get $j)) (f32x4.mul (local.get $r) (f32x4.sub
          (f32x4.sub
            (f32x4.mul (v128.load offset=16 (i32.add (local.get $dy) (local.get $j)))
                       (v128.load offset=16 (i32.add (local.get $w) (local.get $j))))
            (v128.and (local.get $xhatMask) (f32x4.mul (local.get $a) (f32x4.mul (local.get $r)
              (f32x4.sub (f32x4.sub (v128.load offset=16 (i32.add (local.get $x) (local.get $j))) (local.get $h)) (local.get $l))))))
          (local.get $b))))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $j) (local.get $nb)))
        (v128.store32_lane 0 (i32.add (local.get $dx) (local.get $j)) (f32x4.mul (local.get $r) (f32x4.sub
          (f32x4.sub
            (f32x4.mul (v128.load32_splat (i32.add (local.get $dy) (local.get $j))) (v128.load32_splat (i32.add (local.get $w) (local.get $j))))
            (v128.and (local.get $xhatMask) (f32x4.mul (local.get $a) (f32x4.mul (local.get $r)
              (f32x4.sub (f32x4.sub (v128.load32_splat (i32.add (local.get $x) (local.get $j))) (local.get $h)) (local.get $l))))))
          (local.get $b))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $tail))))

  ;; The general run: statistics with byte step $ss, weight with byte step $ps (operand convention).
  (func $backward_input_run (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)
    (param $hi i32) (param $lo i32) (param $rs i32) (param $k1 i32) (param $k2 i32) (param $ss i32)
    (param $w i32) (param $ps i32) (param $xhatMask v128)
    (local $end i32) (local $ssv i32) (local $psv i32)
    (local.set $ssv (i32.shl (local.get $ss) (i32.const 2)))
    (local.set $psv (i32.shl (local.get $ps) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    ;; Whole vectors, then the remaining n mod 4 elements one by one.
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $dx) (f32x4.mul (v128.load (local.get $rs)) (f32x4.sub
          (f32x4.sub (f32x4.mul (v128.load (local.get $dy)) (v128.load (local.get $w)))
            (v128.and (local.get $xhatMask) (f32x4.mul (v128.load (local.get $k1)) (f32x4.mul (v128.load (local.get $rs))
              (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $hi))) (v128.load (local.get $lo)))))))
          (v128.and (local.get $xhatMask) (v128.load (local.get $k2))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (local.set $hi (i32.add (local.get $hi) (local.get $ssv)))
        (local.set $lo (i32.add (local.get $lo) (local.get $ssv)))
        (local.set $rs (i32.add (local.get $rs) (local.get $ssv)))
        (local.set $k1 (i32.add (local.get $k1) (local.get $ssv)))
        (local.set $k2 (i32.add (local.get $k2) (local.get $ssv)))
        (local.set $w (i32.add (local.get $w) (local.get $psv)))
        (br $step)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.eqz (i32.and (local.get $n) (i32.const 3))))
        (v128.store32_lane 0 (local.get $dx) (f32x4.mul (v128.load32_splat (local.get $rs)) (f32x4.sub
          (f32x4.sub (f32x4.mul (v128.load32_splat (local.get $dy)) (v128.load32_splat (local.get $w)))
            (v128.and (local.get $xhatMask) (f32x4.mul (v128.load32_splat (local.get $k1)) (f32x4.mul (v128.load32_splat (local.get $rs))
              (f32x4.sub (f32x4.sub (v128.load32_splat (local.get $x)) (v128.load32_splat (local.get $hi))) (v128.load32_splat (local.get $lo)))))))
          (v128.and (local.get $xhatMask) (v128.load32_splat (local.get $k2))))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
        (local.set $hi (i32.add (local.get $hi) (local.get $ss)))
        (local.set $lo (i32.add (local.get $lo) (local.get $ss)))
        (local.set $rs (i32.add (local.get $rs) (local.get $ss)))
        (local.set $k1 (i32.add (local.get $k1) (local.get $ss)))
        (local.set $k2 (i32.add (local.get $k2) (local.get $ss)))
        (local.set $w (i32.add (local.get $w) (local.get $ps)))
        (br $tail))))

  (func (export "backward_input")
    (param $x i32) (param $dy i32) (param $dx i32) (param $inner i32) (param $nRuns i32)
    (param $runStat i32) (param $runParam i32) (param $innerStat i32) (param $innerParam i32)
    (param $hi i32) (param $lo i32) (param $rs i32) (param $k1 i32) (param $k2 i32) (param $w i32)
    (param $useXhat i32)
    (local $r i32) (local $s i32) (local $p i32) (local $off i32) (local $mask v128)
    ;; All ones when the xhat terms count, all zeros when they are masked out.
    (local.set $mask (i32x4.splat (i32.sub (i32.const 0) (i32.ne (local.get $useXhat) (i32.const 0)))))
    (block $done
      (loop $run
        (br_if $done (i32.ge_u (local.get $r) (local.get $nRuns)))
        (local.set $s (i32.load (i32.add (local.get $runStat) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $p (i32.load (i32.add (local.get $runParam) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $off (i32.mul (i32.mul (local.get $r) (local.get $inner)) (i32.const 4)))
        (if (local.get $innerStat)
          (then
            (call $backward_input_run
              (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $dy) (local.get $off))
              (i32.add (local.get $dx) (local.get $off)) (local.get $inner)
              (i32.add (local.get $hi) (i32.shl (local.get $s) (i32.const 2)))
              (i32.add (local.get $lo) (i32.shl (local.get $s) (i32.const 2)))
              (i32.add (local.get $rs) (i32.shl (local.get $s) (i32.const 2)))
              (i32.add (local.get $k1) (i32.shl (local.get $s) (i32.const 2)))
              (i32.add (local.get $k2) (i32.shl (local.get $s) (i32.const 2)))
              (i32.const 4)
              (call $f32_operand (local.get $w) (local.get $p) (local.get $innerParam) (global.get $WEIGHT_SLOT))
              (i32.shl (local.get $innerParam) (i32.const 2))
              (local.get $mask)))
          (else (if (local.get $innerParam)
            (then
              (call $backward_input_run_row
                (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $dy) (local.get $off))
                (i32.add (local.get $dx) (local.get $off)) (local.get $inner)
                (f32.load (i32.add (local.get $hi) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $lo) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $rs) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $k1) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $k2) (i32.shl (local.get $s) (i32.const 2))))
                (i32.add (local.get $w) (i32.shl (local.get $p) (i32.const 2)))
                (local.get $mask)))
            (else
              (call $backward_input_run_uniform
                (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $dy) (local.get $off))
                (i32.add (local.get $dx) (local.get $off)) (local.get $inner)
                (f32.load (i32.add (local.get $hi) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $lo) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $rs) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $k1) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $k2) (i32.shl (local.get $s) (i32.const 2))))
                (f32.load (i32.add (local.get $w) (i32.shl (local.get $p) (i32.const 2))))
                (local.get $mask))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $run))))
)
