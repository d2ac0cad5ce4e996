;; The two products the linear head spends its time in, as WebAssembly SIMD (f32x4) kernels.
;; Assembled by scripts/build-head-kernels.mjs (wabt) into head-kernels-wasm.ts at build time.
;;
;;   logits(x, n, w, c, dim, out)   out[r, j] = Σ_k x[r, k] · w[j, k]     n rows, c classes
;;   grad(d, n, x, dim, c, g)       g[j, k] += Σ_r d[r, j] · x[r, k]
;;
;; Arguments are byte offsets into this module's memory; arrays are float32, row-major, and
;; `dim` is a multiple of 4 (rows zero-padded). No fused multiply-add (relaxed SIMD is not used),
;; so every machine computes the same floats.
(module
  (memory (export "memory") 1)

  ;; ((l0 + l1) + l2) + l3: an f32x4's lanes summed in a fixed order.
  (func $lane_sum (param $v v128) (result f32)
    (f32.add
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
        (f32x4.extract_lane 2 (local.get $v)))
      (f32x4.extract_lane 3 (local.get $v))))

  ;; One row by four classes per pass over the row: each feature vector is loaded once for four
  ;; products. The classes past a multiple of four go one at a time.
  (func (export "logits")
    (param $x i32) (param $n i32) (param $w i32) (param $c i32) (param $dim i32) (param $out i32)
    (local $r i32) (local $j i32) (local $k i32) (local $row_bytes i32) (local $xr i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $c4 i32) (local $o i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $xv v128)
    (local.set $row_bytes (i32.mul (local.get $dim) (i32.const 4)))
    (local.set $c4 (i32.and (local.get $c) (i32.const -4)))
    (local.set $r (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $row_bytes))))
        (local.set $o
          (i32.add (local.get $out) (i32.mul (local.get $r) (i32.mul (local.get $c) (i32.const 4)))))
        (local.set $j (i32.const 0))
        (block $fours_done
          (loop $fours
            (br_if $fours_done (i32.ge_u (local.get $j) (local.get $c4)))
            (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $row_bytes))))
            (local.set $w1 (i32.add (local.get $w0) (local.get $row_bytes)))
            (local.set $w2 (i32.add (local.get $w1) (local.get $row_bytes)))
            (local.set $w3 (i32.add (local.get $w2) (local.get $row_bytes)))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $k_done
              (loop $ks
                (br_if $k_done (i32.ge_u (local.get $k) (local.get $row_bytes)))
                (local.set $xv (v128.load (i32.add (local.get $xr) (local.get $k))))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w0) (local.get $k))))))
                (local.set $a1 (f32x4.add (local.get $a1)
                  (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w1) (local.get $k))))))
                (local.set $a2 (f32x4.add (local.get $a2)
                  (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w2) (local.get $k))))))
                (local.set $a3 (f32x4.add (local.get $a3)
                  (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w3) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $ks)))
            (f32.store (i32.add (local.get $o) (i32.mul (local.get $j) (i32.const 4)))
              (call $lane_sum (local.get $a0)))
            (f32.store (i32.add (local.get $o) (i32.mul (i32.add (local.get $j) (i32.const 1)) (i32.const 4)))
              (call $lane_sum (local.get $a1)))
            (f32.store (i32.add (local.get $o) (i32.mul (i32.add (local.get $j) (i32.const 2)) (i32.const 4)))
              (call $lane_sum (local.get $a2)))
            (f32.store (i32.add (local.get $o) (i32.mul (i32.add (local.get $j) (i32.const 3)) (i32.const 4)))
              (call $lane_sum (local.get $a3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $fours)))
        (block $ones_done
          (loop $ones
            (br_if $ones_done (i32.ge_u (local.get $j) (local.get $c)))
            (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $row_bytes))))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $k1_done
              (loop $k1
                (br_if $k1_done (i32.ge_u (local.get $k) (local.get $row_bytes)))
                (local.set $xv (v128.load (i32.add (local.get $xr) (local.get $k))))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w0) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $k1)))
            (f32.store (i32.add (local.get $o) (i32.mul (local.get $j) (i32.const 4)))
              (call $lane_sum (local.get $a0)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $ones)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; For each class, four rows per pass over the features: g += ((d0·x0 + ...) in row order).
  ;; The rows past a multiple of four go one at a time.
  (func (export "grad")
    (param $d i32) (param $n i32) (param $x i32) (param $dim i32) (param $c i32) (param $g i32)
    (local $j i32) (local $r i32) (local $k i32) (local $row_bytes i32) (local $gj i32)
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32) (local $n4 i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $row_bytes (i32.mul (local.get $dim) (i32.const 4)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $j (i32.const 0))
    (block $classes_done
      (loop $classes
        (br_if $classes_done (i32.ge_u (local.get $j) (local.get $c)))
        (local.set $gj (i32.add (local.get $g) (i32.mul (local.get $j) (local.get $row_bytes))))
        (local.set $r (i32.const 0))
        (block $fours_done
          (loop $fours
            (br_if $fours_done (i32.ge_u (local.get $r) (local.get $n4)))
            (local.set $s0 (f32x4.splat (call $d_at (local.get $d) (local.get $r) (local.get $c) (local.get $j))))
            (local.set $s1 (f32x4.splat (call $d_at (local.get $d) (i32.add (local.get $r) (i32.const 1)) (local.get $c) (local.get $j))))
            (local.set $s2 (f32x4.splat (call $d_at (local.get $d) (i32.add (local.get $r) (i32.const 2)) (local.get $c) (local.get $j))))
            (local.set $s3 (f32x4.splat (call $d_at (local.get $d) (i32.add (local.get $r) (i32.const 3)) (local.get $c) (local.get $j))))
            (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $row_bytes))))
            (local.set $x1 (i32.add (local.get $x0) (local.get $row_bytes)))
            (local.set $x2 (i32.add (local.get $x1) (local.get $row_bytes)))
            (local.set $x3 (i32.add (local.get $x2) (local.get $row_bytes)))
            (local.set $k (i32.const 0))
            (block $k_done
              (loop $ks
                (br_if $k_done (i32.ge_u (local.get $k) (local.get $row_bytes)))
                (v128.store (i32.add (local.get $gj) (local.get $k))
                  (f32x4.add
                    (f32x4.add
                      (f32x4.add
                        (f32x4.add
                          (v128.load (i32.add (local.get $gj) (local.get $k)))
                          (f32x4.mul (local.get $s0) (v128.load (i32.add (local.get $x0) (local.get $k)))))
                        (f32x4.mul (local.get $s1) (v128.load (i32.add (local.get $x1) (local.get $k)))))
                      (f32x4.mul (local.get $s2) (v128.load (i32.add (local.get $x2) (local.get $k)))))
                    (f32x4.mul (local.get $s3) (v128.load (i32.add (local.get $x3) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $ks)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $fours)))
        (block $ones_done
          (loop $ones
            (br_if $ones_done (i32.ge_u (local.get $r) (local.get $n)))
            (local.set $s0 (f32x4.splat (call $d_at (local.get $d) (local.get $r) (local.get $c) (local.get $j))))
            (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $row_bytes))))
            (local.set $k (i32.const 0))
            (block $k1_done
              (loop $k1
                (br_if $k1_done (i32.ge_u (local.get $k) (local.get $row_bytes)))
                (v128.store (i32.add (local.get $gj) (local.get $k))
                  (f32x4.add
                    (v128.load (i32.add (local.get $gj) (local.get $k)))
                    (f32x4.mul (local.get $s0) (v128.load (i32.add (local.get $x0) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $k1)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $ones)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $classes))))

  ;; d[row, j] of a [rows, c] float32 array at byte offset d.
  (func $d_at (param $d i32) (param $row i32) (param $c i32) (param $j i32) (result f32)
    (f32.load
      (i32.add (local.get $d)
        (i32.mul (i32.add (i32.mul (local.get $row) (local.get $c)) (local.get $j)) (i32.const 4))))))
