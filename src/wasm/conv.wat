;; Sliding-window kernels in WebAssembly SIMD: the stand-ins for src/tensor/kernels/conv.ts (im2col,
;; col2im) and src/tensor/kernels/pool.ts (maxPool2dForward / Backward, avgPoolForward / Backward),
;; and the small loops around a convolution's matrix products (bias, channel sums, float64 sums).
;; src/wasm/conv.ts lays the buffers out and calls them; test/wasm/conv.test.ts holds each to its
;; TypeScript reference.
;;
;; ## Exports (addresses are byte offsets; counts are elements)
;;   im2col(x, cols, c, h, w, kH, kW, sH, sW, outH, outW, taps)
;;       one image: cols [c*kH*kW, outH*outW] from x [c, h, w] (kernels/conv.ts's formula)
;;   col2im(dcols, dx, ...same)
;;       one image: dx [c, h, w] = the adjoint of im2col applied to dcols (dx overwritten; dcols is
;;       scratch: the entries of the block path's invalid columns are zeroed, see there)
;;   max_pool2d(x, y, argmax, planes, h, w, sH, sW, padTop, padLeft, dH, dW, outH, outW, rowTaps, colTaps)
;;   max_pool2d_2x2(x, y, argmax, planes, h, w, outH, outW)
;;       2 x 2 windows, stride 2, no padding or dilation, every window inside the input
;;   max_pool2d_backward(dy, argmax, count, dx, dxCount)
;;   avg_pool2d(x, y, planes, h, w, outSize, bounds, divisor)
;;   avg_pool2d_backward(dy, dx, planes, h, w, outSize, bounds, divisor)
;;   add_bias(y, bias, images, channels, inner)       y[n, o, l] += bias[o]
;;   channel_sums(dy, sums, images, channels, inner)  sums[o] += sum over n, l of dy[n, o, l] (float64)
;;   add_f64(sums, src, count)                        sums[i] += src[i] (float64 += float32)
;;   dot_nt(a, b, c, n, k, m)                         c [n, m] = a [n, k] @ b [m, k]^T (float32)
;;
;; ## The tap table of im2col / col2im (int32, built by the caller)
;; For kernel row i: [ohLo, ohHi, rowOff] at taps + 12 i, and for kernel column j: [lo, hi, colOff]
;; at taps + 12 (kH + j): output rows oh in [ohLo, ohHi) read input row oh*sH + rowOff inside the
;; image (rowOff = i*dH - padTop), output columns ow in [lo, hi) read input column ow*sW + colOff
;; inside it (colOff = j*dW - padLeft); every other entry is padding (0).
;; With stride 1 and outW = w (same-width padding) one kernel tap's valid rows read one contiguous
;; block of x: the block path copies (im2col) or adds (col2im) it in one run, and fixes the columns
;; outside [lo, hi) of each row, whose entries belong to a neighbouring input row (im2col writes
;; them 0 afterwards; col2im zeroes them in dcols before the add, so they add +0).
;;
;; ## Numerics
;; im2col copies. col2im adds in the order of the reference (channel, kernel row, kernel column,
;; output row), each add a float32 add: equal to it, but for the sign of a zero sum (the block path's
;; +0). Max pooling compares as the reference does (a NaN always takes over, the first maximum wins
;; a tie): equal bit for bit. Average pooling sums in float64 in the reference's order and divides
;; in float64: equal bit for bit. channel_sums adds in float64 in two pairs of lanes.
;;
;; ## Memory
;; Imported, shared with the other modules; no scratch.
(module
  (import "env" "memory" (memory 1))

  ;; dst[0 .. n) = 0 (float32).
  (func $zero (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.gt_u (i32.add (local.get $dst) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.const 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $one))))

  ;; dst[0 .. n) = src[0 .. n) (float32, no overlap).
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.gt_u (i32.add (local.get $dst) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $dst) (v128.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $one))))

  ;; dst[0 .. n) += src[0 .. n) (float32, no overlap).
  (func $add_to (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.gt_u (i32.add (local.get $dst) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $one))))

  ;; ===========================================================================================
  ;; im2col of one image (see the header). The loops run over (channel, kernel row i, kernel
  ;; column j): one row of cols, outH * outW long, per triple.
  ;; ===========================================================================================
  (func (export "im2col") (param $x i32) (param $cols i32) (param $c i32) (param $h i32) (param $w i32)
    (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32) (param $outH i32) (param $outW i32)
    (param $taps i32)
    (local $ch i32) (local $i i32) (local $j i32) (local $oh i32) (local $ow i32) (local $plane i32)
    (local $ohLo i32) (local $ohHi i32) (local $rowOff i32) (local $lo i32) (local $hi i32) (local $colOff i32)
    (local $row i32) (local $dst i32) (local $src i32) (local $L i32) (local $block i32) (local $colTaps i32)
    (local.set $L (i32.mul (local.get $outH) (local.get $outW)))
    (local.set $block (i32.and (i32.and (i32.eq (local.get $sH) (i32.const 1)) (i32.eq (local.get $sW) (i32.const 1)))
      (i32.eq (local.get $outW) (local.get $w))))
    (local.set $colTaps (i32.add (local.get $taps) (i32.mul (local.get $kH) (i32.const 12))))
    (local.set $row (local.get $cols))
    (local.set $ch (i32.const 0))
    (loop $channel
      ;; plane = &x[ch, 0, 0]
      (local.set $plane (i32.add (local.get $x)
        (i32.shl (i32.mul (local.get $ch) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
      (local.set $i (i32.const 0))
      (loop $kernelRow
        (local.set $ohLo (i32.load (i32.add (local.get $taps) (i32.mul (local.get $i) (i32.const 12)))))
        (local.set $ohHi (i32.load offset=4 (i32.add (local.get $taps) (i32.mul (local.get $i) (i32.const 12)))))
        (local.set $rowOff (i32.load offset=8 (i32.add (local.get $taps) (i32.mul (local.get $i) (i32.const 12)))))
        (local.set $j (i32.const 0))
        (loop $kernelCol
          (local.set $lo (i32.load (i32.add (local.get $colTaps) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $hi (i32.load offset=4 (i32.add (local.get $colTaps) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $colOff (i32.load offset=8 (i32.add (local.get $colTaps) (i32.mul (local.get $j) (i32.const 12)))))
          (if (i32.or (i32.ge_s (local.get $ohLo) (local.get $ohHi)) (i32.ge_s (local.get $lo) (local.get $hi)))
            (then (call $zero (local.get $row) (local.get $L)))
            (else
              (if (local.get $block)
                (then
                  ;; rows [0, ohLo) and [ohHi, outH) are padding; the valid rows are one block of x
                  (call $zero (local.get $row) (i32.mul (local.get $ohLo) (local.get $w)))
                  (call $zero (i32.add (local.get $row) (i32.shl (i32.mul (local.get $ohHi) (local.get $w))
                    (i32.const 2)))
                    (i32.mul (i32.sub (local.get $outH) (local.get $ohHi)) (local.get $w)))
                  (call $copy
                    (i32.add (local.get $row)
                      (i32.shl (i32.add (i32.mul (local.get $ohLo) (local.get $w)) (local.get $lo)) (i32.const 2)))
                    (i32.add (local.get $plane) (i32.shl (i32.add
                      (i32.mul (i32.add (local.get $ohLo) (local.get $rowOff)) (local.get $w))
                      (i32.add (local.get $lo) (local.get $colOff))) (i32.const 2)))
                    (i32.add (i32.mul (i32.sub (i32.sub (local.get $ohHi) (local.get $ohLo)) (i32.const 1))
                      (local.get $w))
                      (i32.sub (local.get $hi) (local.get $lo))))
                  ;; columns [0, lo) and [hi, w) of each valid row came from a neighbouring row: 0
                  (local.set $oh (local.get $ohLo))
                  (loop $fix
                    (local.set $dst (i32.add (local.get $row) (i32.shl (i32.mul (local.get $oh) (local.get $w))
                      (i32.const 2))))
                    (local.set $ow (i32.const 0))
                    (block $leftDone
                      (loop $left
                        (br_if $leftDone (i32.ge_s (local.get $ow) (local.get $lo)))
                        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                        (br $left)))
                    (local.set $ow (local.get $hi))
                    (block $rightDone
                      (loop $right
                        (br_if $rightDone (i32.ge_s (local.get $ow) (local.get $w)))
                        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                        (br $right)))
                    (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
                    (br_if $fix (i32.lt_s (local.get $oh) (local.get $ohHi)))))
                (else
                  ;; row by row: padding rows are 0; a valid row is 0, the strided run [lo, hi), 0
                  (local.set $oh (i32.const 0))
                  (loop $outRow
                    (local.set $dst (i32.add (local.get $row)
                      (i32.shl (i32.mul (local.get $oh) (local.get $outW)) (i32.const 2))))
                    (if (i32.or (i32.lt_s (local.get $oh) (local.get $ohLo)) (i32.ge_s (local.get $oh)
                      (local.get $ohHi)))
                      (then (call $zero (local.get $dst) (local.get $outW)))
                      (else
                        (call $zero (local.get $dst) (local.get $lo))
                        ;; src = &x[ch, oh*sH + rowOff, colOff]; column ow at src + 4 ow sW
                        (local.set $src (i32.add (local.get $plane) (i32.shl (i32.add
                          (i32.mul (i32.add (i32.mul (local.get $oh) (local.get $sH)) (local.get $rowOff))
                            (local.get $w))
                          (local.get $colOff)) (i32.const 2))))
                        (if (i32.eq (local.get $sW) (i32.const 1))
                          (then
                            (call $copy (i32.add (local.get $dst) (i32.shl (local.get $lo) (i32.const 2)))
                              (i32.add (local.get $src) (i32.shl (local.get $lo) (i32.const 2)))
                              (i32.sub (local.get $hi) (local.get $lo))))
                          (else
                            (local.set $ow (local.get $lo))
                            (block $runDone
                              (loop $run
                                (br_if $runDone (i32.ge_s (local.get $ow) (local.get $hi)))
                                (f32.store (i32.add (local.get $dst) (i32.shl (local.get $ow) (i32.const 2)))
                                  (f32.load (i32.add (local.get $src)
                                    (i32.shl (i32.mul (local.get $ow) (local.get $sW)) (i32.const 2)))))
                                (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                                (br $run)))))
                        (call $zero (i32.add (local.get $dst) (i32.shl (local.get $hi) (i32.const 2)))
                          (i32.sub (local.get $outW) (local.get $hi)))))
                    (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
                    (br_if $outRow (i32.lt_s (local.get $oh) (local.get $outH))))))))
          (local.set $row (i32.add (local.get $row) (i32.shl (local.get $L) (i32.const 2))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $kernelCol (i32.lt_s (local.get $j) (local.get $kW))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $kernelRow (i32.lt_s (local.get $i) (local.get $kH))))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br_if $channel (i32.lt_s (local.get $ch) (local.get $c)))))

  ;; ===========================================================================================
  ;; col2im of one image: dx = 0, then every valid entry of dcols added to the element of x it was
  ;; copied from, in im2col's order (see the header for the block path's zeroed columns).
  ;; ===========================================================================================
  (func (export "col2im") (param $dcols i32) (param $dx i32) (param $c i32) (param $h i32) (param $w i32)
    (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32) (param $outH i32) (param $outW i32)
    (param $taps i32)
    (local $ch i32) (local $i i32) (local $j i32) (local $oh i32) (local $ow i32) (local $plane i32)
    (local $ohLo i32) (local $ohHi i32) (local $rowOff i32) (local $lo i32) (local $hi i32) (local $colOff i32)
    (local $row i32) (local $src i32) (local $dst i32) (local $L i32) (local $block i32) (local $colTaps i32)
    (local.set $L (i32.mul (local.get $outH) (local.get $outW)))
    (local.set $block (i32.and (i32.and (i32.eq (local.get $sH) (i32.const 1)) (i32.eq (local.get $sW) (i32.const 1)))
      (i32.eq (local.get $outW) (local.get $w))))
    (local.set $colTaps (i32.add (local.get $taps) (i32.mul (local.get $kH) (i32.const 12))))
    (call $zero (local.get $dx) (i32.mul (local.get $c) (i32.mul (local.get $h) (local.get $w))))
    (local.set $row (local.get $dcols))
    (local.set $ch (i32.const 0))
    (loop $channel
      (local.set $plane (i32.add (local.get $dx)
        (i32.shl (i32.mul (local.get $ch) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
      (local.set $i (i32.const 0))
      (loop $kernelRow
        (local.set $ohLo (i32.load (i32.add (local.get $taps) (i32.mul (local.get $i) (i32.const 12)))))
        (local.set $ohHi (i32.load offset=4 (i32.add (local.get $taps) (i32.mul (local.get $i) (i32.const 12)))))
        (local.set $rowOff (i32.load offset=8 (i32.add (local.get $taps) (i32.mul (local.get $i) (i32.const 12)))))
        (local.set $j (i32.const 0))
        (loop $kernelCol
          (local.set $lo (i32.load (i32.add (local.get $colTaps) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $hi (i32.load offset=4 (i32.add (local.get $colTaps) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $colOff (i32.load offset=8 (i32.add (local.get $colTaps) (i32.mul (local.get $j) (i32.const 12)))))
          (if (i32.and (i32.lt_s (local.get $ohLo) (local.get $ohHi)) (i32.lt_s (local.get $lo) (local.get $hi)))
            (then
              (if (local.get $block)
                (then
                  ;; zero the columns outside [lo, hi) of the valid rows, then add the block at once
                  (local.set $oh (local.get $ohLo))
                  (loop $fix
                    (local.set $src (i32.add (local.get $row) (i32.shl (i32.mul (local.get $oh) (local.get $w))
                      (i32.const 2))))
                    (local.set $ow (i32.const 0))
                    (block $leftDone
                      (loop $left
                        (br_if $leftDone (i32.ge_s (local.get $ow) (local.get $lo)))
                        (f32.store (i32.add (local.get $src) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                        (br $left)))
                    (local.set $ow (local.get $hi))
                    (block $rightDone
                      (loop $right
                        (br_if $rightDone (i32.ge_s (local.get $ow) (local.get $w)))
                        (f32.store (i32.add (local.get $src) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                        (br $right)))
                    (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
                    (br_if $fix (i32.lt_s (local.get $oh) (local.get $ohHi))))
                  (call $add_to
                    (i32.add (local.get $plane) (i32.shl (i32.add
                      (i32.mul (i32.add (local.get $ohLo) (local.get $rowOff)) (local.get $w))
                      (i32.add (local.get $lo) (local.get $colOff))) (i32.const 2)))
                    (i32.add (local.get $row)
                      (i32.shl (i32.add (i32.mul (local.get $ohLo) (local.get $w)) (local.get $lo)) (i32.const 2)))
                    (i32.add (i32.mul (i32.sub (i32.sub (local.get $ohHi) (local.get $ohLo)) (i32.const 1))
                      (local.get $w))
                      (i32.sub (local.get $hi) (local.get $lo)))))
                (else
                  (local.set $oh (local.get $ohLo))
                  (loop $outRow
                    (local.set $src (i32.add (local.get $row)
                      (i32.shl (i32.mul (local.get $oh) (local.get $outW)) (i32.const 2))))
                    ;; dst = &dx[ch, oh*sH + rowOff, colOff]; column ow at dst + 4 ow sW
                    (local.set $dst (i32.add (local.get $plane) (i32.shl (i32.add
                      (i32.mul (i32.add (i32.mul (local.get $oh) (local.get $sH)) (local.get $rowOff)) (local.get $w))
                      (local.get $colOff)) (i32.const 2))))
                    (if (i32.eq (local.get $sW) (i32.const 1))
                      (then
                        (call $add_to (i32.add (local.get $dst) (i32.shl (local.get $lo) (i32.const 2)))
                          (i32.add (local.get $src) (i32.shl (local.get $lo) (i32.const 2)))
                          (i32.sub (local.get $hi) (local.get $lo))))
                      (else
                        (local.set $ow (local.get $lo))
                        (block $runDone
                          (loop $run
                            (br_if $runDone (i32.ge_s (local.get $ow) (local.get $hi)))
                            (f32.store (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $ow) (local.get $sW))
                              (i32.const 2)))
                              (f32.add
                                (f32.load (i32.add (local.get $dst)
                                  (i32.shl (i32.mul (local.get $ow) (local.get $sW)) (i32.const 2))))
                                (f32.load (i32.add (local.get $src) (i32.shl (local.get $ow) (i32.const 2))))))
                            (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                            (br $run)))))
                    (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
                    (br_if $outRow (i32.lt_s (local.get $oh) (local.get $ohHi))))))))
          (local.set $row (i32.add (local.get $row) (i32.shl (local.get $L) (i32.const 2))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $kernelCol (i32.lt_s (local.get $j) (local.get $kW))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $kernelRow (i32.lt_s (local.get $i) (local.get $kH))))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br_if $channel (i32.lt_s (local.get $ch) (local.get $c)))))

  ;; ===========================================================================================
  ;; Max pooling, any window: the reference's loop. rowTaps [2 outH] and colTaps [2 outW] (int32)
  ;; hold each output row's / column's valid tap range [lo, hi) (pool.ts's validTaps). argmax gets
  ;; the flat index into x of the winner (-1 when the window has no tap inside the input).
  ;; ===========================================================================================
  (func (export "max_pool2d") (param $x i32) (param $y i32) (param $argmax i32) (param $planes i32)
    (param $h i32) (param $w i32) (param $sH i32) (param $sW i32) (param $padTop i32) (param $padLeft i32)
    (param $dH i32) (param $dW i32) (param $outH i32) (param $outW i32) (param $rowTaps i32) (param $colTaps i32)
    (local $plane i32) (local $oh i32) (local $ow i32) (local $i i32) (local $j i32)
    (local $iLo i32) (local $iHi i32) (local $jLo i32) (local $jHi i32) (local $rowAt i32) (local $colAt i32)
    (local $tapRow i32) (local $at i32) (local $bestAt i32) (local $best f32) (local $v f32)
    (block $planesDone
      (loop $planeLoop
        (br_if $planesDone (i32.ge_s (local.get $plane) (local.get $planes)))
        (local.set $oh (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_s (local.get $oh) (local.get $outH)))
            (local.set $iLo (i32.load (i32.add (local.get $rowTaps) (i32.shl (local.get $oh) (i32.const 3)))))
            (local.set $iHi (i32.load offset=4 (i32.add (local.get $rowTaps) (i32.shl (local.get $oh) (i32.const 3)))))
            ;; rowAt = plane*h*w + (oh*sH - padTop)*w
            (local.set $rowAt (i32.add (i32.mul (local.get $plane) (i32.mul (local.get $h) (local.get $w)))
              (i32.mul (i32.sub (i32.mul (local.get $oh) (local.get $sH)) (local.get $padTop)) (local.get $w))))
            (local.set $ow (i32.const 0))
            (block $colsDone
              (loop $colLoop
                (br_if $colsDone (i32.ge_s (local.get $ow) (local.get $outW)))
                (local.set $jLo (i32.load (i32.add (local.get $colTaps) (i32.shl (local.get $ow) (i32.const 3)))))
                (local.set $jHi (i32.load offset=4 (i32.add (local.get $colTaps) (i32.shl (local.get $ow)
                  (i32.const 3)))))
                (local.set $colAt (i32.add (local.get $rowAt)
                  (i32.sub (i32.mul (local.get $ow) (local.get $sW)) (local.get $padLeft))))
                (local.set $best (f32.const -inf))
                (local.set $bestAt (i32.const -1))
                (local.set $i (local.get $iLo))
                (block $tapRowsDone
                  (loop $tapRowLoop
                    (br_if $tapRowsDone (i32.ge_s (local.get $i) (local.get $iHi)))
                    (local.set $tapRow (i32.add (local.get $colAt)
                      (i32.mul (i32.mul (local.get $i) (local.get $dH)) (local.get $w))))
                    (local.set $j (local.get $jLo))
                    (block $tapsDone
                      (loop $tapLoop
                        (br_if $tapsDone (i32.ge_s (local.get $j) (local.get $jHi)))
                        (local.set $at (i32.add (local.get $tapRow) (i32.mul (local.get $j) (local.get $dW))))
                        (local.set $v (f32.load (i32.add (local.get $x) (i32.shl (local.get $at) (i32.const 2)))))
                        (if (i32.or (i32.or (f32.gt (local.get $v) (local.get $best)) (f32.ne (local.get $v)
                          (local.get $v)))
                              (i32.lt_s (local.get $bestAt) (i32.const 0)))
                          (then
                            (local.set $best (local.get $v))
                            (local.set $bestAt (local.get $at))))
                        (local.set $j (i32.add (local.get $j) (i32.const 1)))
                        (br $tapLoop)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $tapRowLoop)))
                (f32.store (local.get $y) (local.get $best))
                (i32.store (local.get $argmax) (local.get $bestAt))
                (local.set $y (i32.add (local.get $y) (i32.const 4)))
                (local.set $argmax (i32.add (local.get $argmax) (i32.const 4)))
                (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                (br $colLoop)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br $rowLoop)))
        (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
        (br $planeLoop))))

  ;; ===========================================================================================
  ;; Max pooling with 2 x 2 windows at stride 2, all inside the input: four windows at once. Two
  ;; vectors of an input row hold the taps of four windows; shuffles split them into the left and
  ;; the right taps. The taps are visited in the reference's order ((0,0), (0,1), (1,0), (1,1)),
  ;; each replacing the best when greater or NaN; its offset in the window is kept beside.
  ;; ===========================================================================================
  (func (export "max_pool2d_2x2") (param $x i32) (param $y i32) (param $argmax i32) (param $planes i32)
    (param $h i32) (param $w i32) (param $outH i32) (param $outW i32)
    (local $plane i32) (local $oh i32) (local $ow i32) (local $r0 i32) (local $r1 i32) (local $base i32)
    (local $v0 v128) (local $v1 v128) (local $t v128) (local $best v128) (local $off v128) (local $m v128)
    (local $vw v128) (local $vw1 v128)
    (local $at i32) (local $bestAt i32) (local $b f32) (local $s f32)
    (local.set $vw (i32x4.splat (local.get $w)))
    (local.set $vw1 (i32x4.splat (i32.add (local.get $w) (i32.const 1))))
    (block $planesDone
      (loop $planeLoop
        (br_if $planesDone (i32.ge_s (local.get $plane) (local.get $planes)))
        (local.set $oh (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_s (local.get $oh) (local.get $outH)))
            ;; base = index of x[plane, 2 oh, 0]
            (local.set $base (i32.mul (i32.add (i32.mul (local.get $plane) (local.get $h))
              (i32.shl (local.get $oh) (i32.const 1))) (local.get $w)))
            (local.set $r0 (i32.add (local.get $x) (i32.shl (local.get $base) (i32.const 2))))
            (local.set $r1 (i32.add (local.get $r0) (i32.shl (local.get $w) (i32.const 2))))
            (local.set $ow (i32.const 0))
            (block $vecDone
              (loop $vecLoop
                (br_if $vecDone (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $outW)))
                (local.set $v0 (v128.load (local.get $r0)))
                (local.set $v1 (v128.load offset=16 (local.get $r0)))
                ;; tap (0, 0): the even lanes
                (local.set $best (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (local.get $v0) (local.get $v1)))
                (local.set $off (v128.const i32x4 0 0 0 0))
                ;; tap (0, 1): the odd lanes
                (local.set $t (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
                  (local.get $v0) (local.get $v1)))
                (local.set $m (v128.or (f32x4.gt (local.get $t) (local.get $best)) (f32x4.ne (local.get $t)
                  (local.get $t))))
                (local.set $best (v128.bitselect (local.get $t) (local.get $best) (local.get $m)))
                (local.set $off (v128.bitselect (v128.const i32x4 1 1 1 1) (local.get $off) (local.get $m)))
                (local.set $v0 (v128.load (local.get $r1)))
                (local.set $v1 (v128.load offset=16 (local.get $r1)))
                ;; tap (1, 0)
                (local.set $t (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (local.get $v0) (local.get $v1)))
                (local.set $m (v128.or (f32x4.gt (local.get $t) (local.get $best)) (f32x4.ne (local.get $t)
                  (local.get $t))))
                (local.set $best (v128.bitselect (local.get $t) (local.get $best) (local.get $m)))
                (local.set $off (v128.bitselect (local.get $vw) (local.get $off) (local.get $m)))
                ;; tap (1, 1)
                (local.set $t (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
                  (local.get $v0) (local.get $v1)))
                (local.set $m (v128.or (f32x4.gt (local.get $t) (local.get $best)) (f32x4.ne (local.get $t)
                  (local.get $t))))
                (local.set $best (v128.bitselect (local.get $t) (local.get $best) (local.get $m)))
                (local.set $off (v128.bitselect (local.get $vw1) (local.get $off) (local.get $m)))
                (v128.store (local.get $y) (local.get $best))
                ;; argmax = base + 2 ow + (0, 2, 4, 6) + offset
                (v128.store (local.get $argmax) (i32x4.add (i32x4.add (local.get $off) (v128.const i32x4 0 2 4 6))
                  (i32x4.splat (i32.add (local.get $base) (i32.shl (local.get $ow) (i32.const 1))))))
                (local.set $r0 (i32.add (local.get $r0) (i32.const 32)))
                (local.set $r1 (i32.add (local.get $r1) (i32.const 32)))
                (local.set $y (i32.add (local.get $y) (i32.const 16)))
                (local.set $argmax (i32.add (local.get $argmax) (i32.const 16)))
                (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                (br $vecLoop)))
            (block $oneDone
              (loop $oneLoop
                (br_if $oneDone (i32.ge_s (local.get $ow) (local.get $outW)))
                (local.set $at (i32.add (local.get $base) (i32.shl (local.get $ow) (i32.const 1))))
                (local.set $b (f32.load (local.get $r0)))
                (local.set $bestAt (local.get $at))
                (local.set $s (f32.load offset=4 (local.get $r0)))
                (if (i32.or (f32.gt (local.get $s) (local.get $b)) (f32.ne (local.get $s) (local.get $s)))
                  (then (local.set $b (local.get $s)) (local.set $bestAt (i32.add (local.get $at) (i32.const 1)))))
                (local.set $s (f32.load (local.get $r1)))
                (if (i32.or (f32.gt (local.get $s) (local.get $b)) (f32.ne (local.get $s) (local.get $s)))
                  (then (local.set $b (local.get $s)) (local.set $bestAt (i32.add (local.get $at) (local.get $w)))))
                (local.set $s (f32.load offset=4 (local.get $r1)))
                (if (i32.or (f32.gt (local.get $s) (local.get $b)) (f32.ne (local.get $s) (local.get $s)))
                  (then (local.set $b (local.get $s))
                    (local.set $bestAt (i32.add (i32.add (local.get $at) (local.get $w)) (i32.const 1)))))
                (f32.store (local.get $y) (local.get $b))
                (i32.store (local.get $argmax) (local.get $bestAt))
                (local.set $r0 (i32.add (local.get $r0) (i32.const 8)))
                (local.set $r1 (i32.add (local.get $r1) (i32.const 8)))
                (local.set $y (i32.add (local.get $y) (i32.const 4)))
                (local.set $argmax (i32.add (local.get $argmax) (i32.const 4)))
                (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                (br $oneLoop)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br $rowLoop)))
        (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
        (br $planeLoop))))

  ;; Max pooling backward: dx [dxCount] = 0, then dx[argmax[o]] += dy[o] for every o with argmax >= 0.
  (func (export "max_pool2d_backward") (param $dy i32) (param $argmax i32) (param $count i32) (param $dx i32)
    (param $dxCount i32)
    (local $end i32) (local $at i32) (local $to i32)
    (call $zero (local.get $dx) (local.get $dxCount))
    (local.set $end (i32.add (local.get $dy) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $dy) (local.get $end)))
        (local.set $at (i32.load (local.get $argmax)))
        (if (i32.ge_s (local.get $at) (i32.const 0))
          (then
            (local.set $to (i32.add (local.get $dx) (i32.shl (local.get $at) (i32.const 2))))
            (f32.store (local.get $to) (f32.add (f32.load (local.get $to)) (f32.load (local.get $dy))))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $argmax (i32.add (local.get $argmax) (i32.const 4)))
        (br $each))))

  ;; ===========================================================================================
  ;; Average pooling over the window table of pool.ts (AvgWindows): bounds [outSize, 4] int32 (row
  ;; start, row end, column start, column end), divisor [outSize] float64.
  ;;   forward:  y[plane, p] = (sum of the window, float64) / divisor[p]
  ;;   backward: dx = 0, then every element of window p gets dy[plane, p] / divisor[p] (float64,
  ;;             rounded by each float32 add, as the reference's dx[i] += share)
  ;; ===========================================================================================
  (func (export "avg_pool2d") (param $x i32) (param $y i32) (param $planes i32) (param $h i32) (param $w i32)
    (param $outSize i32) (param $bounds i32) (param $divisor i32)
    (local $plane i32) (local $p i32) (local $ih i32) (local $iw i32) (local $hs i32) (local $he i32)
    (local $ws i32) (local $we i32) (local $x0 i32) (local $b i32) (local $acc f64)
    (block $planesDone
      (loop $planeLoop
        (br_if $planesDone (i32.ge_s (local.get $plane) (local.get $planes)))
        (local.set $x0 (i32.add (local.get $x)
          (i32.shl (i32.mul (local.get $plane) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
        (local.set $p (i32.const 0))
        (block $windowsDone
          (loop $windowLoop
            (br_if $windowsDone (i32.ge_s (local.get $p) (local.get $outSize)))
            (local.set $b (i32.add (local.get $bounds) (i32.shl (local.get $p) (i32.const 4))))
            (local.set $hs (i32.load (local.get $b)))
            (local.set $he (i32.load offset=4 (local.get $b)))
            (local.set $ws (i32.load offset=8 (local.get $b)))
            (local.set $we (i32.load offset=12 (local.get $b)))
            (local.set $acc (f64.const 0))
            (local.set $ih (local.get $hs))
            (block $rDone
              (loop $r
                (br_if $rDone (i32.ge_s (local.get $ih) (local.get $he)))
                (local.set $iw (local.get $ws))
                (block $cDone
                  (loop $c
                    (br_if $cDone (i32.ge_s (local.get $iw) (local.get $we)))
                    (local.set $acc (f64.add (local.get $acc) (f64.promote_f32 (f32.load (i32.add (local.get $x0)
                      (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $w)) (local.get $iw)) (i32.const 2)))))))
                    (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
                    (br $c)))
                (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
                (br $r)))
            (f32.store (local.get $y) (f32.demote_f64 (f64.div (local.get $acc)
              (f64.load (i32.add (local.get $divisor) (i32.shl (local.get $p) (i32.const 3)))))))
            (local.set $y (i32.add (local.get $y) (i32.const 4)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $windowLoop)))
        (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
        (br $planeLoop))))

  (func (export "avg_pool2d_backward") (param $dy i32) (param $dx i32) (param $planes i32) (param $h i32)
    (param $w i32) (param $outSize i32) (param $bounds i32) (param $divisor i32)
    (local $plane i32) (local $p i32) (local $ih i32) (local $iw i32) (local $hs i32) (local $he i32)
    (local $ws i32) (local $we i32) (local $x0 i32) (local $b i32) (local $share f64) (local $to i32)
    (call $zero (local.get $dx) (i32.mul (local.get $planes) (i32.mul (local.get $h) (local.get $w))))
    (block $planesDone
      (loop $planeLoop
        (br_if $planesDone (i32.ge_s (local.get $plane) (local.get $planes)))
        (local.set $x0 (i32.add (local.get $dx)
          (i32.shl (i32.mul (local.get $plane) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
        (local.set $p (i32.const 0))
        (block $windowsDone
          (loop $windowLoop
            (br_if $windowsDone (i32.ge_s (local.get $p) (local.get $outSize)))
            (local.set $b (i32.add (local.get $bounds) (i32.shl (local.get $p) (i32.const 4))))
            (local.set $hs (i32.load (local.get $b)))
            (local.set $he (i32.load offset=4 (local.get $b)))
            (local.set $ws (i32.load offset=8 (local.get $b)))
            (local.set $we (i32.load offset=12 (local.get $b)))
            (local.set $share (f64.div (f64.promote_f32 (f32.load (local.get $dy)))
              (f64.load (i32.add (local.get $divisor) (i32.shl (local.get $p) (i32.const 3))))))
            (local.set $ih (local.get $hs))
            (block $rDone
              (loop $r
                (br_if $rDone (i32.ge_s (local.get $ih) (local.get $he)))
                (local.set $iw (local.get $ws))
                (block $cDone
                  (loop $c
                    (br_if $cDone (i32.ge_s (local.get $iw) (local.get $we)))
                    (local.set $to (i32.add (local.get $x0)
                      (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $w)) (local.get $iw)) (i32.const 2))))
                    (f32.store (local.get $to) (f32.demote_f64 (f64.add
                      (f64.promote_f32 (f32.load (local.get $to))) (local.get $share))))
                    (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
                    (br $c)))
                (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
                (br $r)))
            (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $windowLoop)))
        (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
        (br $planeLoop))))

  ;; ===========================================================================================
  ;; The loops around a convolution's products (src/wasm/conv.ts).
  ;; ===========================================================================================

  ;; y[n, o, l] += bias[o] for n < images, o < channels, l < inner (float32 adds).
  (func (export "add_bias") (param $y i32) (param $bias i32) (param $images i32) (param $channels i32)
    (param $inner i32)
    (local $n i32) (local $o i32) (local $end i32) (local $vb v128) (local $b f32)
    (block $imagesDone
      (loop $image
        (br_if $imagesDone (i32.ge_s (local.get $n) (local.get $images)))
        (local.set $o (i32.const 0))
        (block $channelsDone
          (loop $channel
            (br_if $channelsDone (i32.ge_s (local.get $o) (local.get $channels)))
            (local.set $b (f32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $vb (f32x4.splat (local.get $b)))
            (local.set $end (i32.add (local.get $y) (i32.shl (local.get $inner) (i32.const 2))))
            (block $vecDone
              (loop $vec
                (br_if $vecDone (i32.gt_u (i32.add (local.get $y) (i32.const 16)) (local.get $end)))
                (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y)) (local.get $vb)))
                (local.set $y (i32.add (local.get $y) (i32.const 16)))
                (br $vec)))
            (block $oneDone
              (loop $one
                (br_if $oneDone (i32.ge_u (local.get $y) (local.get $end)))
                (f32.store (local.get $y) (f32.add (f32.load (local.get $y)) (local.get $b)))
                (local.set $y (i32.add (local.get $y) (i32.const 4)))
                (br $one)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $channel)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $image))))

  ;; sums[o] += sum over n < images, l < inner of dy[n, o, l]: float64 sums (sums: channels float64),
  ;; each run of `inner` values in two f64x2 accumulators (four lanes), then the lanes and the tail.
  (func (export "channel_sums") (param $dy i32) (param $sums i32) (param $images i32) (param $channels i32)
    (param $inner i32)
    (local $n i32) (local $o i32) (local $end i32) (local $a0 v128) (local $a1 v128) (local $v v128)
    (local $acc f64) (local $to i32)
    (block $imagesDone
      (loop $image
        (br_if $imagesDone (i32.ge_s (local.get $n) (local.get $images)))
        (local.set $o (i32.const 0))
        (block $channelsDone
          (loop $channel
            (br_if $channelsDone (i32.ge_s (local.get $o) (local.get $channels)))
            (local.set $a0 (v128.const f64x2 0 0))
            (local.set $a1 (v128.const f64x2 0 0))
            (local.set $end (i32.add (local.get $dy) (i32.shl (local.get $inner) (i32.const 2))))
            (block $vecDone
              (loop $vec
                (br_if $vecDone (i32.gt_u (i32.add (local.get $dy) (i32.const 16)) (local.get $end)))
                (local.set $v (v128.load (local.get $dy)))
                (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
                (local.set $a1 (f64x2.add (local.get $a1) (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
                (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
                (br $vec)))
            (local.set $a0 (f64x2.add (local.get $a0) (local.get $a1)))
            (local.set $acc (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
            (block $oneDone
              (loop $one
                (br_if $oneDone (i32.ge_u (local.get $dy) (local.get $end)))
                (local.set $acc (f64.add (local.get $acc) (f64.promote_f32 (f32.load (local.get $dy)))))
                (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
                (br $one)))
            (local.set $to (i32.add (local.get $sums) (i32.shl (local.get $o) (i32.const 3))))
            (f64.store (local.get $to) (f64.add (f64.load (local.get $to)) (local.get $acc)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $channel)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $image))))

  ;; sums[i] += src[i] for i < count (sums float64, src float32).
  (func (export "add_f64") (param $sums i32) (param $src i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (f64.store (local.get $sums) (f64.add (f64.load (local.get $sums)) (f64.promote_f32 (f32.load
          (local.get $src)))))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $each))))

  ;; ===========================================================================================
  ;; c[i, j] = sum_p a[i, p] * b[j, p] for a [n, k], b [m, k], c [n, m] (float32): the product with
  ;; the second operand transposed, read along the rows of both (a convolution's weight gradient,
  ;; dW = dy @ cols^T, with no packing). Tiles of 2 rows of a by 4 rows of b: eight f32x4
  ;; accumulators over p in steps of 4 (lane t sums the p = t mod 4 terms), added across lanes at
  ;; the end, then the k mod 4 last terms one by one. A tile past the last row of a or b reads that
  ;; last row again and stores nothing for it.
  ;; ===========================================================================================
  (func (export "dot_nt") (param $a i32) (param $b i32) (param $c i32) (param $n i32) (param $k i32) (param $m i32)
    (local $i i32) (local $j i32) (local $p i32) (local $k4 i32) (local $rowBytes i32)
    (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $va0 v128) (local $va1 v128) (local $vb v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local $x0 f32) (local $x1 f32) (local $y f32) (local $r0 v128) (local $r1 v128)
    (local.set $rowBytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $a1 (select (i32.add (local.get $a0) (local.get $rowBytes)) (local.get $a0)
          (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $n))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_s (local.get $j) (local.get $m)))
            ;; rows j .. j + 3 of b, clamped to the last one
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $b1 (i32.add (local.get $b) (i32.mul (select (i32.add (local.get $j) (i32.const 1))
              (i32.sub (local.get $m) (i32.const 1)) (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $m)))
              (local.get $rowBytes))))
            (local.set $b2 (i32.add (local.get $b) (i32.mul (select (i32.add (local.get $j) (i32.const 2))
              (i32.sub (local.get $m) (i32.const 1)) (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $m)))
              (local.get $rowBytes))))
            (local.set $b3 (i32.add (local.get $b) (i32.mul (select (i32.add (local.get $j) (i32.const 3))
              (i32.sub (local.get $m) (i32.const 1)) (i32.lt_s (i32.add (local.get $j) (i32.const 3)) (local.get $m)))
              (local.get $rowBytes))))
            (local.set $s00 (v128.const i32x4 0 0 0 0)) (local.set $s01 (v128.const i32x4 0 0 0 0))
            (local.set $s02 (v128.const i32x4 0 0 0 0)) (local.set $s03 (v128.const i32x4 0 0 0 0))
            (local.set $s10 (v128.const i32x4 0 0 0 0)) (local.set $s11 (v128.const i32x4 0 0 0 0))
            (local.set $s12 (v128.const i32x4 0 0 0 0)) (local.set $s13 (v128.const i32x4 0 0 0 0))
            (local.set $p (i32.const 0))
            (block $vecDone
              (loop $vec
                (br_if $vecDone (i32.ge_s (local.get $p) (i32.shl (local.get $k4) (i32.const 2))))
                (local.set $va0 (v128.load (i32.add (local.get $a0) (local.get $p))))
                (local.set $va1 (v128.load (i32.add (local.get $a1) (local.get $p))))
                (local.set $vb (v128.load (i32.add (local.get $b0) (local.get $p))))
                (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $va0) (local.get $vb))))
                (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $va1) (local.get $vb))))
                (local.set $vb (v128.load (i32.add (local.get $b1) (local.get $p))))
                (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $va0) (local.get $vb))))
                (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $va1) (local.get $vb))))
                (local.set $vb (v128.load (i32.add (local.get $b2) (local.get $p))))
                (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $va0) (local.get $vb))))
                (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $va1) (local.get $vb))))
                (local.set $vb (v128.load (i32.add (local.get $b3) (local.get $p))))
                (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $va0) (local.get $vb))))
                (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $va1) (local.get $vb))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (br $vec)))
            ;; across lanes: r0 = (sum s00, sum s01, sum s02, sum s03), r1 likewise for row i + 1
            (local.set $r0 (call $hsum4 (local.get $s00) (local.get $s01) (local.get $s02) (local.get $s03)))
            (local.set $r1 (call $hsum4 (local.get $s10) (local.get $s11) (local.get $s12) (local.get $s13)))
            ;; the k mod 4 last terms
            (block $tailDone
              (loop $tail
                (br_if $tailDone (i32.ge_s (local.get $p) (local.get $rowBytes)))
                (local.set $x0 (f32.load (i32.add (local.get $a0) (local.get $p))))
                (local.set $x1 (f32.load (i32.add (local.get $a1) (local.get $p))))
                (local.set $r0 (f32x4.add (local.get $r0) (f32x4.mul (f32x4.splat (local.get $x0))
                  (call $gather4 (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3) (local.get $p)))))
                (local.set $r1 (f32x4.add (local.get $r1) (f32x4.mul (f32x4.splat (local.get $x1))
                  (call $gather4 (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3) (local.get $p)))))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $tail)))
            (call $store_upto4 (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $m))
              (local.get $j)) (i32.const 2))) (local.get $r0) (i32.sub (local.get $m) (local.get $j)))
            (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $n))
              (then
                (call $store_upto4 (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $i)
                  (i32.const 1)) (local.get $m)) (local.get $j)) (i32.const 2))) (local.get $r1)
                  (i32.sub (local.get $m) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows))))

  ;; (sum of the lanes of v0, of v1, of v2, of v3), each summed as (l0 + l2) + (l1 + l3).
  (func $hsum4 (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128) (result v128)
    (local $t0 v128) (local $t1 v128)
    ;; t0 = (v0.l0 + v0.l2, v1.l0 + v1.l2, v0.l1 + v0.l3, v1.l1 + v1.l3) and t1 likewise for v2, v3
    (local.set $t0 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1))))
    (local.set $t1 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))

  ;; (b0[p], b1[p], b2[p], b3[p]) for a byte offset p.
  (func $gather4 (param $b0 i32) (param $b1 i32) (param $b2 i32) (param $b3 i32) (param $p i32) (result v128)
    (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1
      (f32x4.splat (f32.load (i32.add (local.get $b0) (local.get $p))))
      (f32.load (i32.add (local.get $b1) (local.get $p))))
      (f32.load (i32.add (local.get $b2) (local.get $p))))
      (f32.load (i32.add (local.get $b3) (local.get $p)))))

  ;; Stores the first min(count, 4) lanes of v at dst.
  (func $store_upto4 (param $dst i32) (param $v v128) (param $count i32)
    (if (i32.ge_s (local.get $count) (i32.const 4)) (then (v128.store (local.get $dst) (local.get $v)) (return)))
    (f32.store (local.get $dst) (f32x4.extract_lane 0 (local.get $v)))
    (if (i32.ge_s (local.get $count) (i32.const 2))
      (then (f32.store offset=4 (local.get $dst) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.ge_s (local.get $count) (i32.const 3))
      (then (f32.store offset=8 (local.get $dst) (f32x4.extract_lane 2 (local.get $v))))))
)
