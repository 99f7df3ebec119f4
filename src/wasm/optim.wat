;; The optimizers' fused in-place updates in WebAssembly SIMD: the stand-in for
;; src/tensor/kernels/optim.ts (sgdUpdate, adamUpdate), equal to it bit for bit.
;;
;; Arrays are float32; every intermediate is float64, two elements per f64x2 vector: a pair of
;; floats is loaded with v128.load64_zero and widened (f64x2.promote_low_f32x4), and narrowed back
;; (f32x4.demote_f64x2_zero, round to nearest even as Float32Array stores do) when stored (into $r,
;; then v128.store64_lane). The loads and stores are written out in place: Node 20's V8 does not
;; inline small wasm functions, and a call per pair cost half the kernel's time. The
;; operations are those of the TypeScript loop in the same order, with no fused multiply-add, so
;; each stored value is the reference's. A buffer read back after its store (momentum buffer,
;; moments) is widened from the rounded float32 value, as the reference reads buffer[i] again.
;;
;; SGD's usual case (momentum after the first step) takes four floats per step: one v128 load per
;; array, split into its low and high pair, the same float64 operations on each (78,400 floats:
;; 0.54x the time of the pair loop).
;;
;; Lengths are rounded up to an even count: the last pair may read and write one float past n,
;; which the caller's arena allocation (16-byte granules) holds and never copies out.
;;
;; ## Memory
;; Imported, shared with the other modules; no scratch.
(module
  (import "env" "memory" (memory 1))

  ;; SGD (sgdUpdate). flags: 1 maximize, 2 weight decay, 4 momentum buffer, 8 first step, 16 nesterov.
  ;;   g = (maximize ? -grad : grad) [+ wd theta];  b = first ? g : momentum b + omd g
  ;;   theta = theta - lr (nesterov ? g + momentum b : b)      (without a buffer: theta - lr g)
  (func (export "sgd") (param $theta i32) (param $grad i32) (param $buf i32) (param $n i32)
    (param $lr f64) (param $momentum f64) (param $omd f64) (param $wd f64) (param $flags i32)
    (local $end i32) (local $g v128) (local $t v128) (local $b v128) (local $r v128)
    (local $vlr v128) (local $vmom v128) (local $vomd v128) (local $vwd v128)
    (local $end4 i32) (local $gh v128) (local $th v128) (local $bh v128)
    (local.set $vlr (f64x2.splat (local.get $lr)))
    (local.set $vmom (f64x2.splat (local.get $momentum)))
    (local.set $vomd (f64x2.splat (local.get $omd)))
    (local.set $vwd (f64x2.splat (local.get $wd)))
    ;; end = theta + 4 * (n rounded up to even)
    (local.set $end (i32.add (local.get $theta)
      (i32.shl (i32.and (i32.add (local.get $n) (i32.const 1)) (i32.const -2)) (i32.const 2))))
    ;; The usual case (momentum after the first step, no nesterov or maximize; weight decay or not):
    ;; four floats per step, the same float64 operations on the low pair and the high pair, with
    ;; the switches tested once. The pair loop below takes the rest (and every other case).
    (if (i32.eq (i32.and (local.get $flags) (i32.const -3)) (i32.const 4))
      (then
        (local.set $end4 (i32.add (local.get $theta) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
        (block $quadsDone
          (loop $quad
            (br_if $quadsDone (i32.ge_u (local.get $theta) (local.get $end4)))
            (local.set $r (v128.load (local.get $grad)))
            (local.set $g (f64x2.promote_low_f32x4 (local.get $r)))
            (local.set $gh (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
              (local.get $r) (local.get $r))))
            (local.set $r (v128.load (local.get $theta)))
            (local.set $t (f64x2.promote_low_f32x4 (local.get $r)))
            (local.set $th (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
              (local.get $r) (local.get $r))))
            (if (i32.and (local.get $flags) (i32.const 2))
              (then
                (local.set $g (f64x2.add (local.get $g) (f64x2.mul (local.get $vwd) (local.get $t))))
                (local.set $gh (f64x2.add (local.get $gh) (f64x2.mul (local.get $vwd) (local.get $th))))))
            (local.set $r (v128.load (local.get $buf)))
            ;; b = momentum b + omd g, rounded to float32 (stored), then read back as g
            (local.set $b (f32x4.demote_f64x2_zero (f64x2.add
              (f64x2.mul (local.get $vmom) (f64x2.promote_low_f32x4 (local.get $r)))
              (f64x2.mul (local.get $vomd) (local.get $g)))))
            (local.set $bh (f32x4.demote_f64x2_zero (f64x2.add
              (f64x2.mul (local.get $vmom) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
                (local.get $r) (local.get $r))))
              (f64x2.mul (local.get $vomd) (local.get $gh)))))
            (v128.store (local.get $buf) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $b) (local.get $bh)))
            (v128.store (local.get $theta) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero
                (f64x2.sub (local.get $t) (f64x2.mul (local.get $vlr) (f64x2.promote_low_f32x4 (local.get $b)))))
              (f32x4.demote_f64x2_zero
                (f64x2.sub (local.get $th) (f64x2.mul (local.get $vlr) (f64x2.promote_low_f32x4 (local.get $bh)))))))
            (local.set $theta (i32.add (local.get $theta) (i32.const 16)))
            (local.set $grad (i32.add (local.get $grad) (i32.const 16)))
            (local.set $buf (i32.add (local.get $buf) (i32.const 16)))
            (br $quad)))))
    (block $done
      (loop $pair
        (br_if $done (i32.ge_u (local.get $theta) (local.get $end)))
        (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $grad))))
        (if (i32.and (local.get $flags) (i32.const 1)) (then (local.set $g (f64x2.neg (local.get $g)))))
        (local.set $t (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $theta))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $g (f64x2.add (local.get $g) (f64x2.mul (local.get $vwd) (local.get $t))))))
        (if (i32.and (local.get $flags) (i32.const 4))
          (then
            (if (i32.and (local.get $flags) (i32.const 8))
              (then (local.set $b (local.get $g)))
              (else
                (local.set $b (f64x2.add
                  (f64x2.mul (local.get $vmom) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $buf))))
                  (f64x2.mul (local.get $vomd) (local.get $g))))))
            (local.set $r (f32x4.demote_f64x2_zero (local.get $b)))
            (v128.store64_lane 0 (local.get $buf) (local.get $r))
            (local.set $b (f64x2.promote_low_f32x4 (local.get $r)))
            (if (i32.and (local.get $flags) (i32.const 16))
              (then (local.set $g (f64x2.add (local.get $g) (f64x2.mul (local.get $vmom) (local.get $b)))))
              (else (local.set $g (local.get $b))))
            (local.set $buf (i32.add (local.get $buf) (i32.const 8)))))
        (v128.store64_lane 0 (local.get $theta)
          (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.mul (local.get $vlr) (local.get $g)))))
        (local.set $theta (i32.add (local.get $theta) (i32.const 8)))
        (local.set $grad (i32.add (local.get $grad) (i32.const 8)))
        (br $pair))))

  ;; Adam / AdamW (adamUpdate). flags: 1 maximize, 2 amsgrad (vmax is read and written).
  ;;   x = decay theta;  g = (maximize ? -grad : grad) + l2 x
  ;;   m = beta1 m + omb1 g;  v = beta2 v + (omb2 g) g;  vmax = max(vmax, v)
  ;;   theta = x - (stepSize m) / (sqrt(amsgrad ? vmax : v) / bias2Sqrt + eps)
  (func (export "adam") (param $theta i32) (param $grad i32) (param $m i32) (param $v i32) (param $vmax i32)
    (param $n i32) (param $beta1 f64) (param $omb1 f64) (param $beta2 f64) (param $omb2 f64) (param $eps f64)
    (param $decay f64) (param $l2 f64) (param $stepSize f64) (param $bias2Sqrt f64) (param $flags i32)
    (local $end i32) (local $g v128) (local $x v128) (local $mt v128) (local $vt v128) (local $r v128)
    (local $vb1 v128) (local $vomb1 v128) (local $vb2 v128) (local $vomb2 v128) (local $veps v128)
    (local $vdecay v128) (local $vl2 v128) (local $vstep v128) (local $vbias v128)
    (local.set $vb1 (f64x2.splat (local.get $beta1)))
    (local.set $vomb1 (f64x2.splat (local.get $omb1)))
    (local.set $vb2 (f64x2.splat (local.get $beta2)))
    (local.set $vomb2 (f64x2.splat (local.get $omb2)))
    (local.set $veps (f64x2.splat (local.get $eps)))
    (local.set $vdecay (f64x2.splat (local.get $decay)))
    (local.set $vl2 (f64x2.splat (local.get $l2)))
    (local.set $vstep (f64x2.splat (local.get $stepSize)))
    (local.set $vbias (f64x2.splat (local.get $bias2Sqrt)))
    (local.set $end (i32.add (local.get $theta)
      (i32.shl (i32.and (i32.add (local.get $n) (i32.const 1)) (i32.const -2)) (i32.const 2))))
    (block $done
      (loop $pair
        (br_if $done (i32.ge_u (local.get $theta) (local.get $end)))
        (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $grad))))
        (if (i32.and (local.get $flags) (i32.const 1)) (then (local.set $g (f64x2.neg (local.get $g)))))
        (local.set $x (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $theta))) (local.get $vdecay)))
        (local.set $g (f64x2.add (local.get $g) (f64x2.mul (local.get $vl2) (local.get $x))))
        (local.set $r (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.mul (local.get $vb1) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $m))))
          (f64x2.mul (local.get $vomb1) (local.get $g)))))
        (v128.store64_lane 0 (local.get $m) (local.get $r))
        (local.set $mt (f64x2.promote_low_f32x4 (local.get $r)))
        (local.set $r (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.mul (local.get $vb2) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
          (f64x2.mul (f64x2.mul (local.get $vomb2) (local.get $g)) (local.get $g)))))
        (v128.store64_lane 0 (local.get $v) (local.get $r))
        (local.set $vt (f64x2.promote_low_f32x4 (local.get $r)))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then
            (local.set $r (f32x4.demote_f64x2_zero
              (f64x2.max (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $vmax))) (local.get $vt))))
            (v128.store64_lane 0 (local.get $vmax) (local.get $r))
            (local.set $vt (f64x2.promote_low_f32x4 (local.get $r)))
            (local.set $vmax (i32.add (local.get $vmax) (i32.const 8)))))
        (v128.store64_lane 0 (local.get $theta) (f32x4.demote_f64x2_zero (f64x2.sub (local.get $x)
          (f64x2.div (f64x2.mul (local.get $vstep) (local.get $mt))
            (f64x2.add (f64x2.div (f64x2.sqrt (local.get $vt)) (local.get $vbias)) (local.get $veps))))))
        (local.set $theta (i32.add (local.get $theta) (i32.const 8)))
        (local.set $grad (i32.add (local.get $grad) (i32.const 8)))
        (local.set $m (i32.add (local.get $m) (i32.const 8)))
        (local.set $v (i32.add (local.get $v) (i32.const 8)))
        (br $pair))))
)
