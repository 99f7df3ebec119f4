;; Elementwise kernels in WebAssembly SIMD: the float32 stand-ins for some cases of `unary` and
;; `binary` in src/tensor/kernels/elementwise.ts (the reference: one loop per op, computed in
;; float64 and rounded on store). test/wasm/elementwise.test.ts holds each export to it on odd
;; sizes, broadcast layouts and NaN / Inf; src/kernels/registry.ts (WASM_UNARY, WASM_BINARY) says
;; which ops run here, and src/wasm/elementwise.ts copies the data in and out in chunks.
;;
;; ## Exports
;;   unary_<op>(x, n)          x[i] = op(x[i]) for i < n, in place (x: n float32)
;;   binary_<op>(a, aRow, aStep, b, bRow, bStep, out, rows, inner)
;;                             out[r * inner + j] = op(a[r * aRow + j * aStep], b[r * bRow + j * bStep])
;;                             for r < rows, j < inner; aRow, bRow element strides between rows,
;;                             aStep, bStep 0 or 1 (an operand fixed along a row, or not).
;; Vector loops run over whole groups of 4 and may read and write up to 3 elements past a row's
;; end: the caller pads each buffer by 16 bytes, and rows are written in order, so a row's excess
;; lanes land where the next row is written after.
;;
;; ## Numerics
;; add, sub, mul, div and the selects are IEEE float32 operations: exactly the reference, which
;; rounds the float64 result of two float32 values once (no double rounding for + - * /). exp,
;; sigmoid and tanh use the polynomial `$exp` below. Measured on 5 million random arguments against
;; the reference (float64 Math.exp / Math.tanh rounded once): exp at most 1 ulp off (92% exact),
;; sigmoid at most 2 ulp, tanh at most 1 ulp. test/wasm/elementwise.test.ts holds them to 2, 3 and 2
;; ulp on dense sweeps. The backward ops (sigmoidBackward, tanhBackward) are their formula in
;; float32 steps, as the composed ops they replace were.
;;
;; ## Memory
;; Imported, shared with the other modules. This module's scratch: bytes [160, 192), two 16-byte
;; slots holding the splat of an operand that is fixed along a row.
(module
  (import "env" "memory" (memory 1))

  (global $A_SLOT i32 (i32.const 160))
  (global $B_SLOT i32 (i32.const 176))
  ;; Constants of $erf, $gelu and $gelu_grad (see there).
  (global $ONE v128 (v128.const f32x4 1 1 1 1))
  (global $ERF_P v128 (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911))
  (global $ERF_A5 v128 (v128.const f32x4 1.061405429 1.061405429 1.061405429 1.061405429))
  (global $ERF_A4 v128 (v128.const f32x4 -1.453152027 -1.453152027 -1.453152027 -1.453152027))
  (global $ERF_A3 v128 (v128.const f32x4 1.421413741 1.421413741 1.421413741 1.421413741))
  (global $ERF_A2 v128 (v128.const f32x4 -0.284496736 -0.284496736 -0.284496736 -0.284496736))
  (global $ERF_A1 v128 (v128.const f32x4 0.254829592 0.254829592 0.254829592 0.254829592))
  (global $HALF v128 (v128.const f32x4 0.5 0.5 0.5 0.5))
  (global $SQRT1_2 v128 (v128.const f32x4 0.707106781186547 0.707106781186547 0.707106781186547 0.707106781186547))
  (global $INV_SQRT_2PI v128 (v128.const f32x4 0.398942280401433 0.398942280401433 0.398942280401433 0.398942280401433))

  ;; ===========================================================================================
  ;; exp(x) for four float32 lanes (Cephes expf's polynomial, Cody-Waite reduction):
  ;;   n = nearest(x log2 e), r = x - n ln2 (ln2 = C1 + C2, C1 exact in 9 bits so n C1 is exact),
  ;;   e^r ~ 1 + r + r^2 (P5 + r (P4 + r (P3 + r (P2 + r (P1 + r P0))))) on |r| <= ln2 / 2
  ;;   (relative error below 1.2e-7, about 1 ulp), then e^x = e^r 2^n1 2^n2 with n1 = n >> 1,
  ;;   n2 = n - n1, each power a normal float32, so one rounding makes subnormal results right.
  ;; x is clamped to [-104, 89] first: e^89 rounds to +Infinity, e^-104 to 0; NaN stays NaN
  ;; (pmin / pmax keep their first operand when a comparison with NaN fails).
  ;; n is rounded by adding 1.5 2^23 (ties to even, as f32x4.nearest): the sum's low mantissa bits
  ;; are then n as an integer, read by subtracting the bits of 1.5 2^23 (|n| <= 151 < 2^22).
  ;; The constants are immutable globals, loaded once per call (a v128.const is rebuilt from
  ;; immediates at every use); pmin / pmax are single instructions where IEEE min / max are not.
  ;; ===========================================================================================
  (global $EXP_HI v128 (v128.const f32x4 89 89 89 89))
  (global $EXP_LO v128 (v128.const f32x4 -104 -104 -104 -104))
  (global $LOG2E v128
    (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
  (global $ROUNDER v128 (v128.const f32x4 12582912 12582912 12582912 12582912))
  (global $LN2_C1 v128 (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
  (global $LN2_C2 v128 (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))
  (global $EXP_P0 v128 (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
  (global $EXP_P1 v128 (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3))
  (global $EXP_P2 v128 (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3))
  (global $EXP_P3 v128 (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2))
  (global $EXP_P4 v128 (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1))
  (global $EXP_P5 v128 (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1))
  (global $BIAS127 v128 (v128.const i32x4 127 127 127 127))
  (func $exp (param $x v128) (result v128)
    (local $t v128) (local $n v128) (local $r v128) (local $p v128) (local $ni v128) (local $n1 v128)
    (local.set $x (f32x4.pmax (f32x4.pmin (local.get $x) (global.get $EXP_HI)) (global.get $EXP_LO)))
    (local.set $t (f32x4.add (f32x4.mul (local.get $x) (global.get $LOG2E)) (global.get $ROUNDER)))
    (local.set $n (f32x4.sub (local.get $t) (global.get $ROUNDER)))
    (local.set $r (f32x4.sub
      (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (global.get $LN2_C1)))
      (f32x4.mul (local.get $n) (global.get $LN2_C2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $r) (global.get $EXP_P0)) (global.get $EXP_P1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $EXP_P2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $EXP_P3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $EXP_P4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (global.get $EXP_P5)))
    (local.set $p (f32x4.add
      (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (global.get $ONE)))
    (local.set $ni (i32x4.sub (local.get $t) (global.get $ROUNDER)))
    (local.set $n1 (i32x4.shr_s (local.get $ni) (i32.const 1)))
    (f32x4.mul
      (f32x4.mul (local.get $p) (i32x4.shl (i32x4.add (local.get $n1) (global.get $BIAS127)) (i32.const 23)))
      (i32x4.shl (i32x4.add (i32x4.sub (local.get $ni) (local.get $n1)) (global.get $BIAS127)) (i32.const 23))))

  ;; sigmoid(x) = 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) for x < 0 (no overflow), e = e^-|x|.
  (func $sigmoid (param $x v128) (result v128)
    (local $e v128) (local $d v128)
    (local.set $e (call $exp (f32x4.neg (f32x4.abs (local.get $x)))))
    (local.set $d (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1)))
    (v128.bitselect
      (f32x4.div (local.get $e) (local.get $d))
      (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $d))
      (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0))))

  ;; tanh(x): for |x| < 0.625 the odd polynomial of Cephes tanhf,
  ;;   x + x z (Q4 + z (Q3 + z (Q2 + z (Q1 + z Q0)))), z = x^2;
  ;; else sign(x) (1 - 2 / (e^(2|x|) + 1)) (no cancellation there: the result is above 0.55).
  (func $tanh (param $x v128) (result v128)
    (local $z v128) (local $p v128) (local $big v128) (local $ax v128)
    (local.set $ax (f32x4.abs (local.get $x)))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $z)
        (v128.const f32x4 -5.70498872745e-3 -5.70498872745e-3 -5.70498872745e-3 -5.70498872745e-3))
      (v128.const f32x4 2.06390887954e-2 2.06390887954e-2 2.06390887954e-2 2.06390887954e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z))
      (v128.const f32x4 -5.37397155531e-2 -5.37397155531e-2 -5.37397155531e-2 -5.37397155531e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z))
      (v128.const f32x4 1.33314422036e-1 1.33314422036e-1 1.33314422036e-1 1.33314422036e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z))
      (v128.const f32x4 -3.33332819422e-1 -3.33332819422e-1 -3.33332819422e-1 -3.33332819422e-1)))
    (local.set $p (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $z)) (local.get $x)) (local.get $x)))
    (local.set $big (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.div (v128.const f32x4 2 2 2 2)
        (f32x4.add (call $exp (f32x4.add (local.get $ax) (local.get $ax))) (v128.const f32x4 1 1 1 1)))))
    ;; the sign of x onto the result (|big|, and -0 from the polynomial at x = -0)
    (v128.or
      (v128.bitselect (local.get $p) (local.get $big)
        (f32x4.lt (local.get $ax) (v128.const f32x4 0.625 0.625 0.625 0.625)))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))


  ;; erf(z) by Abramowitz and Stegun 7.1.26: 1 - t (A1 + t (A2 + t (A3 + t (A4 + t A5)))) e^(-z^2),
  ;; t = 1 / (1 + P |z|), sign of z restored; absolute error below 1.5e-7 (2.5 float32 ulps of 1).
  ;; GELU uses 1 + erf, so this absolute bound is what its result sees: for x > 0 a relative error
  ;; of about 3 ulp; for x < 0, where 1 + erf cancels (as in torch's float32 GELU), an absolute
  ;; error of about 2^-23 |x|.
  (func $erf (param $z v128) (result v128)
    (call $erf_given_exp (local.get $z) (call $exp (f32x4.neg (f32x4.mul (local.get $z) (local.get $z))))))

  ;; erf(z) as above from e = e^(-z^2), computed by the caller (gelu's gradient needs e again).
  (func $erf_given_exp (param $z v128) (param $e v128) (result v128)
    (local $a v128) (local $t v128) (local $p v128)
    (local.set $a (f32x4.abs (local.get $z)))
    (local.set $t (f32x4.div (global.get $ONE)
      (f32x4.add (global.get $ONE) (f32x4.mul (local.get $a) (global.get $ERF_P)))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (global.get $ERF_A5)) (global.get $ERF_A4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (global.get $ERF_A3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (global.get $ERF_A2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (global.get $ERF_A1)))
    (local.set $p (f32x4.sub (global.get $ONE) (f32x4.mul (f32x4.mul (local.get $p) (local.get $t)) (local.get $e))))
    ;; the sign of z (erf is odd); NaN stays NaN
    (v128.or (local.get $p)
      (v128.and (local.get $z) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  ;; gelu(x) = x Phi(x) = x / 2 (1 + erf(x / sqrt 2))   (torch's exact GELU)
  (func $gelu (param $x v128) (result v128)
    (f32x4.mul (f32x4.mul (local.get $x) (global.get $HALF))
      (f32x4.add (global.get $ONE) (call $erf (f32x4.mul (local.get $x) (global.get $SQRT1_2))))))

  ;; gelu'(x) = Phi(x) + x phi(x), phi(x) = e^(-x^2 / 2) / sqrt(2 pi): one exp, e^(-z^2) with
  ;; z = x / sqrt 2, serves both erf(z) and phi (its argument rounded as erf's, within 2 ulp of -x^2 / 2).
  (func $gelu_grad (param $x v128) (result v128)
    (local $z v128) (local $e v128)
    (local.set $z (f32x4.mul (local.get $x) (global.get $SQRT1_2)))
    (local.set $e (call $exp (f32x4.neg (f32x4.mul (local.get $z) (local.get $z)))))
    (f32x4.add
      (f32x4.mul (global.get $HALF) (f32x4.add (global.get $ONE) (call $erf_given_exp (local.get $z) (local.get $e))))
      (f32x4.mul (f32x4.mul (local.get $x) (global.get $INV_SQRT_2PI)) (local.get $e))))

  ;; ===========================================================================================
  ;; Unary ops, in place over x[0, n).
  ;; ===========================================================================================
  (func (export "unary_exp") (param $x i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $x) (call $exp (v128.load (local.get $x))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $step))))

  (func (export "unary_sigmoid") (param $x i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $x) (call $sigmoid (v128.load (local.get $x))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $step))))

  (func (export "unary_tanh") (param $x i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $x) (call $tanh (v128.load (local.get $x))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $step))))

  (func (export "unary_gelu") (param $x i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $x) (call $gelu (v128.load (local.get $x))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $step))))

  ;; silu(x) = x sigmoid(x)
  (func (export "unary_silu") (param $x i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $x) (f32x4.mul (v128.load (local.get $x)) (call $sigmoid (v128.load (local.get $x)))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $step))))

  ;; relu: 0 where x < 0, else x (NaN and -0 pass through, as in the reference).
  (func (export "unary_relu") (param $x i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $x) (v128.andnot (local.get $v) (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $step))))

  ;; ===========================================================================================
  ;; Binary ops: one row function per op, out[j] = op(a[j], b[j]) over a row of n, a and b
  ;; advancing by aStep / bStep bytes per 4 lanes (16, or 0 when the pointer is a splat slot).
  ;; `$binary` below runs the rows and calls the row function of the op through the table.
  ;; ===========================================================================================
  (type $row (func (param i32 i32 i32 i32 i32 i32)))
  (table 9 funcref)
  (elem (i32.const 0) $add_row $sub_row $mul_row $div_row $relu_backward_row $sigmoid_backward_row
    $tanh_backward_row $gelu_backward_row $silu_backward_row)

  (func $add_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  (func $sub_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  (func $mul_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  (func $div_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  ;; reluBackward(g, x) = 0 where x <= 0, else g (torch's threshold_backward; g at NaN x).
  (func $relu_backward_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (v128.andnot (v128.load (local.get $a))
        (f32x4.le (v128.load (local.get $b)) (v128.const f32x4 0 0 0 0))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  ;; sigmoidBackward(g, s) = g s (1 - s), s the forward's output.
  (func $sigmoid_backward_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32) (local $s v128)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $s (v128.load (local.get $b)))
      (v128.store (local.get $o) (f32x4.mul (f32x4.mul (v128.load (local.get $a)) (local.get $s))
        (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $s))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  ;; tanhBackward(g, t) = g (1 - t^2), t the forward's output.
  (func $tanh_backward_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32) (local $t v128)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $t (v128.load (local.get $b)))
      (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a))
        (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $t) (local.get $t)))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  ;; geluBackward(g, x) = g gelu'(x).
  (func $gelu_backward_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a)) (call $gelu_grad (v128.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  ;; siluBackward(g, x) = g s (1 + x (1 - s)), s = sigmoid(x).
  (func $silu_backward_row (type $row)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $o i32) (param $n i32)
    (local $end i32) (local $x v128) (local $s v128)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $x (v128.load (local.get $b)))
      (local.set $s (call $sigmoid (local.get $x)))
      (v128.store (local.get $o) (f32x4.mul (f32x4.mul (v128.load (local.get $a)) (local.get $s))
        (f32x4.add (v128.const f32x4 1 1 1 1)
          (f32x4.mul (local.get $x) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $s))))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $step))))

  ;; Runs `rows` rows of the op's row function. An operand with step 0 is splatted into its slot
  ;; once per row, so that its vector loads read the fixed value in every lane.
  (func $binary (param $op i32) (param $a i32) (param $aRow i32) (param $aStep i32)
    (param $b i32) (param $bRow i32) (param $bStep i32) (param $o i32) (param $rows i32) (param $inner i32)
    (local $r i32) (local $pa i32) (local $pb i32)
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r) (local.get $aRow)) (i32.const 2))))
      (local.set $pb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $r) (local.get $bRow)) (i32.const 2))))
      (if (i32.eqz (local.get $aStep)) (then
        (v128.store (global.get $A_SLOT) (v128.load32_splat (local.get $pa)))
        (local.set $pa (global.get $A_SLOT))))
      (if (i32.eqz (local.get $bStep)) (then
        (v128.store (global.get $B_SLOT) (v128.load32_splat (local.get $pb)))
        (local.set $pb (global.get $B_SLOT))))
      (call_indirect (type $row) (local.get $pa) (i32.shl (local.get $aStep) (i32.const 4))
        (local.get $pb) (i32.shl (local.get $bStep) (i32.const 4))
        (i32.add (local.get $o) (i32.shl (i32.mul (local.get $r) (local.get $inner)) (i32.const 2)))
        (local.get $inner) (local.get $op))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  (func (export "binary_add") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 0) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))
  (func (export "binary_sub") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 1) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))
  (func (export "binary_mul") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 2) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))
  (func (export "binary_div") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 3) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))
  (func (export "binary_reluBackward") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 4) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))
  (func (export "binary_sigmoidBackward") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 5) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))
  (func (export "binary_tanhBackward") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 6) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))
  (func (export "binary_geluBackward") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 7) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))
  (func (export "binary_siluBackward") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $binary (i32.const 8) (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
      (local.get 6) (local.get 7) (local.get 8)))

  ;; ===========================================================================================
  ;; Softmax over rows (the reference: src/tensor/kernels/softmax.ts). x, y, dy, dx are [rows, n],
  ;; rows n floats apart, in separate buffers. The vector loops run over whole groups of 4: the
  ;; lanes of a row's last group that lie past its end are masked out of the max and the sums
  ;; (`$lanes`), and their stores land in the next row of the output, which is written after.
  ;; Sums accumulate in float64 (f64x2, each group's four lanes promoted).
  ;;   softmax_rows:          y = e^(x - m) / s                 (m = row max, s = sum e^(x - m))
  ;;   row_max_sum:           m (float32) and s (float64) of each row, for log-softmax, whose
  ;;   log_softmax_apply:     y = (x - m) - ls                  (ls = f32(ln s), from the caller)
  ;;   softmax_backward_rows: dx = y (dy - sum dy y)  or, log,  dx = dy - e^y sum dy
  ;; ===========================================================================================
  (global $IOTA v128 (v128.const i32x4 0 1 2 3))
  (global $NEG_INF v128 (v128.const f32x4 -inf -inf -inf -inf))

  ;; All ones in the lanes j .. j + 3 that lie before n, zero in the others.
  (func $lanes (param $j i32) (param $n i32) (result v128)
    (i32x4.lt_s (i32x4.add (i32x4.splat (local.get $j)) (global.get $IOTA)) (i32x4.splat (local.get $n))))

  ;; acc + the four float32 lanes of v, in float64 (two lanes each side).
  (func $acc64 (param $acc v128) (param $v v128) (result v128)
    (f64x2.add (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $v)))
      (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))

  (func $hsum64 (param $acc v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; The maximum of a row (NaN when it holds a NaN: f32x4.max and f32.max propagate it).
  (func $row_max (param $x i32) (param $n i32) (result f32)
    (local $j i32) (local $m v128)
    (local.set $m (global.get $NEG_INF))
    (block $done (loop $step
      (br_if $done (i32.ge_s (local.get $j) (local.get $n)))
      (local.set $m (f32x4.max (local.get $m)
        (v128.bitselect (v128.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
          (global.get $NEG_INF) (call $lanes (local.get $j) (local.get $n)))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $step)))
    (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))

  ;; sum_j e^(x[j] - m) over a row, in float64; with $store, e^(x - m) is written to y.
  (func $row_sum_exp (param $x i32) (param $y i32) (param $n i32) (param $m f32) (param $store i32) (result f64)
    (local $j i32) (local $acc v128) (local $e v128) (local $mv v128) (local $at i32)
    (local.set $mv (f32x4.splat (local.get $m)))
    (block $done (loop $step
      (br_if $done (i32.ge_s (local.get $j) (local.get $n)))
      (local.set $at (i32.shl (local.get $j) (i32.const 2)))
      (local.set $e (v128.and (call $exp (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $at)))
        (local.get $mv))) (call $lanes (local.get $j) (local.get $n))))
      (if (local.get $store) (then (v128.store (i32.add (local.get $y) (local.get $at)) (local.get $e))))
      (local.set $acc (call $acc64 (local.get $acc) (local.get $e)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $step)))
    (call $hsum64 (local.get $acc)))

  (func (export "softmax_rows") (param $x i32) (param $y i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $j i32) (local $s v128) (local $at i32)
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $s (f32x4.splat (f32.demote_f64 (call $row_sum_exp (local.get $x) (local.get $y) (local.get $n)
        (call $row_max (local.get $x) (local.get $n)) (i32.const 1)))))
      (local.set $j (i32.const 0))
      (block $end (loop $step
        (br_if $end (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $at (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store (local.get $at) (f32x4.div (v128.load (local.get $at)) (local.get $s)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $step)))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $y (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; m[r] (float32) and s[r] (float64) of each row.
  (func (export "row_max_sum") (param $x i32) (param $rows i32) (param $n i32) (param $m i32) (param $s i32)
    (local $r i32) (local $mr f32)
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $mr (call $row_max (local.get $x) (local.get $n)))
      (f32.store (i32.add (local.get $m) (i32.shl (local.get $r) (i32.const 2))) (local.get $mr))
      (f64.store (i32.add (local.get $s) (i32.shl (local.get $r) (i32.const 3)))
        (call $row_sum_exp (local.get $x) (i32.const 0) (local.get $n) (local.get $mr) (i32.const 0)))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; y = (x - m[r]) - ls[r], m and ls float32 per row.
  (func (export "log_softmax_apply") (param $x i32) (param $y i32) (param $rows i32) (param $n i32)
    (param $m i32) (param $ls i32)
    (local $r i32) (local $j i32) (local $mv v128) (local $lv v128) (local $at i32)
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $mv (v128.load32_splat (i32.add (local.get $m) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $lv (v128.load32_splat (i32.add (local.get $ls) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $j (i32.const 0))
      (block $end (loop $step
        (br_if $end (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (v128.store (i32.add (local.get $y) (local.get $at))
          (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $at))) (local.get $mv)) (local.get $lv)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $step)))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $y (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  (func (export "softmax_backward_rows") (param $y i32) (param $dy i32) (param $dx i32) (param $rows i32)
    (param $n i32) (param $log i32)
    (local $r i32) (local $j i32) (local $acc v128) (local $sv v128) (local $at i32) (local $yv v128) (local $g v128)
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      ;; s = sum dy (log) or sum dy y, masked to the row
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $j (i32.const 0))
      (block $end (loop $step
        (br_if $end (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (local.set $g (v128.load (i32.add (local.get $dy) (local.get $at))))
        (if (i32.eqz (local.get $log)) (then
          (local.set $g (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $y) (local.get $at)))))))
        (local.set $acc (call $acc64 (local.get $acc)
          (v128.and (local.get $g) (call $lanes (local.get $j) (local.get $n)))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $step)))
      (local.set $sv (f32x4.splat (f32.demote_f64 (call $hsum64 (local.get $acc)))))
      (local.set $j (i32.const 0))
      (block $end (loop $step
        (br_if $end (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (local.set $yv (v128.load (i32.add (local.get $y) (local.get $at))))
        (local.set $g (v128.load (i32.add (local.get $dy) (local.get $at))))
        (v128.store (i32.add (local.get $dx) (local.get $at))
          (if (result v128) (local.get $log)
            (then (f32x4.sub (local.get $g) (f32x4.mul (call $exp (local.get $yv)) (local.get $sv))))
            (else (f32x4.mul (local.get $yv) (f32x4.sub (local.get $g) (local.get $sv))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $step)))
      (local.set $y (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $dy (i32.add (local.get $dy) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $dx (i32.add (local.get $dx) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
)
