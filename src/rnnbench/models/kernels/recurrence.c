/* One RNN layer on CPU, forward and backward, fused per step: input projection, recurrence and
 * gates in one pass over the sequence, no (B, T, gates) tensor ever written to memory.
 *
 * Cells (torch gate layouts and parameters W_ih, b_ih, W_hh, b_hh):
 *   0 tanh, 1 relu (SimpleRNN / IRNN / np-RNN):  h = act(W_ih x + b_ih + W_hh h' + b_hh)
 *   2 LSTM [i f g o]:  c = σ(f) c' + σ(i) tanh(g);  h = σ(o) tanh(c)
 *   3 GRU [r z n], reset after the matmul (torch, cuDNN, Keras reset_after=True):
 *     r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r h_n), h = z h' + (1 - z) n,
 *     with x_* = W_i* x + b_i*, h_* = W_h* h' + b_h*.
 *   4 GRU, reset before the matmul (the lecture, Keras reset_after=False; torch has no fused layer):
 *     r, z as above, n = tanh(x_n + W_hn (r h') + b_hn): a second matmul per step, after r.
 * Keras' variational dropout: an input mask (B x GX x F; GX = 1 shared by all gates, or G, one
 * per gate as Keras draws with recurrent_dropout > 0) and a recurrent mask (B x G x H) multiply
 * x_t and h_{t-1} before gate block g's matmuls, the same masks at every step; with mstep
 * (naive dropout, ``dropout_masks: step``) one mask per step instead: B x T x GX x F and B x T x G x H.
 *
 * Why: torch's CPU RNN layers run each step as a chain of separate ops whose autograd graph is
 * replayed op by op, and the (B, T, 4H) input projections go through memory several times. Here
 * a thread carries a block of RB batch rows through all steps with the weights in L1 cache and
 * the block's accumulators in vector registers; the backward reads the stored h, c and gate
 * activations and accumulates the weight gradients per thread. Threads split the batch rows (pthreads, no OpenMP runtime). All float32, contiguous:
 * x B x T x F, out / cs B x T x H, act B x T x 4H. H must be a multiple of VL, which the caller learns
 * from rnn_vector_width() (it pads hidden units with zero weights, which keeps them exactly 0).
 *
 * Hoisted input side (gx): with a wide input and no input mask (IMDb's 100-wide embedding against
 * 32 units) W_ih x_t is most of a step's work, and W_ih (4H x F) no longer fits in L1 beside W_hh.
 * The caller then computes W_ih x_t + b_ih for all steps as one GEMM (B·T x F times F x 4H) and
 * passes it as gx with F = 0; the backward hands dL/d(input side) back as dgx, and the caller's
 * GEMMs give dW_ih and dx: the same sums in another order, so the same result up to float rounding.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { RNN_TANH = 0, RNN_RELU = 1, LSTM = 2, GRU = 3, GRU_RB = 4 };

/* VL: floats per vector, the target's native register width (a wider generic vector is split
 * into several registers by the compiler, and spills). RB: batch rows per block, whose RB
 * accumulators + the weight vector + a broadcast must stay in registers (32 with AVX-512, 16
 * with AVX2 / SSE / NEON). Both can be overridden with -DRNN_VL= / -DRNN_RB= to experiment;
 * the wrapper asks the built library for them (rnn_vector_width, rnn_row_block). */
#if defined(RNN_VL)
#define VL RNN_VL
#elif defined(__AVX512F__)
#define VL 16
#elif defined(__AVX__)
#define VL 8
#else
#define VL 4      /* SSE, NEON, or anything else: 128-bit vectors (or scalar code the compiler splits) */
#endif
#if defined(RNN_RB)
#define RB RNN_RB
#elif defined(__AVX512F__)
#define RB 8
#else
#define RB 8
#endif
/* R2: rows per sub-block when two column vectors share each broadcast (2 x R2 accumulators + 2 weight
 * vectors + a broadcast in registers: 16 with AVX2 at R2 = 4, 32 with AVX-512 at R2 = 8). Each output's
 * sum runs in the same order as with one column, so the results are the same bit for bit as the
 * one-column loops' (with gcc's FMA contraction; bench/kernel_identity.py compares two builds). */
#if defined(RNN_R2)
#define R2 RNN_R2
#elif defined(__AVX512F__)
#define R2 8
#else
#define R2 4
#endif
typedef float vf __attribute__((vector_size(VL * sizeof(float))));
static inline vf vload(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* exp on a vectorisable path (Cephes' expf: range reduction + degree-6 polynomial, ~1 ulp),
 * so the gate loops compile to SIMD without libmvec / -ffast-math (floorf alone stops gcc
 * from vectorising, so n = round(x / ln 2) comes from adding and subtracting 1.5 * 2^23). The
 * ternary clamps keep a NaN a NaN (a diverging run must stay visible). */
static inline float vexp(float x) {
    x = x > 88.0f ? 88.0f : x;
    x = x < -87.3365447504f ? -87.3365447504f : x;
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t e = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &e, sizeof scale);      /* 2^n */
    return p * scale;
}
static inline float vsigmoid(float x) { return 1.0f / (1.0f + vexp(-x)); }
static inline float vtanh(float x) { return 1.0f - 2.0f / (1.0f + vexp(2.0f * x)); }

typedef struct {
    int cell, xgates, mstep;              /* xgates: gate blocks of the input mask (1 or G); mstep: masks
                                             per step (B x T x ...) rather than per sequence */
    int64_t B, T, F, H, G;
    const float *x, *wx, *wxT, *bx, *xmask;   /* wx: GH x F (torch W_ih; backward), wxT: F x GH (forward) */
    const float *wh, *whT, *bh, *hmask;       /* wh: GH x H (torch W_hh; backward), whT: H x GH (forward) */
    float *out, *last;                    /* every h_t (B x T x H); h_T (B x H, may be NULL) */
    float *cs, *act;                      /* LSTM c_t (B x T x H), gate activations (B x T x 4H); NULL in
                                             inference */
    const float *dout, *dlast;            /* dL/dh_t (B x T x H, or NULL), dL/dh_T (B x H, or NULL) */
    float *dx, *dwxT, *dbx, *dwhT, *dbh;  /* dx may be NULL; the rest: this thread's partial sums */
    const float *gx;                      /* hoisted input side (B x T x GH: W_ih x_t + b_ih for all steps,
                                             one GEMM by the caller; then F = 0 here), or NULL */
    float *dgx;                           /* backward with gx: dL/d(input-side pre-activations), B x T x GH */
    int64_t r0, r1;                       /* rows [r0, r1) */
} job_t;

/* ---- the matrix parts of a step for a block of nr <= RB rows. src[r] + g * gs is what gate
 * block g of row r multiplies (gs = 0: one vector for all gates, e.g. x_t itself in place;
 * gs = K: a masked copy per gate). */

/* a_r[j0:j1] += W[j0:j1] src_r   (wT: K x GH; j0, j1 multiples of H) */
ALWAYS_INLINE void mv_range(const int nr, float *a, const float *const *src, int64_t gs, int64_t K,
                            const float *wT, int64_t H, int64_t GH, int64_t j0, int64_t j1) {
    for (int64_t jb = j0; jb < j1;) {
        const int64_t go = (jb / H) * gs;
        if (jb + 2 * VL <= j1 && (gs == 0 || go == ((jb + VL) / H) * gs)) {
            /* two column vectors share each broadcast of src: 2 weight loads + R2 broadcasts for 2 x R2
             * FMAs, where one column needs 1 + RB for RB (the loads, not the FMAs, bound this loop) */
            for (int r0 = 0; r0 < nr; r0 += R2) {
                const int n = nr - r0 < R2 ? nr - r0 : R2;
                vf a0[R2], a1[R2];
                for (int r = 0; r < n; r++) {
                    a0[r] = vload(a + (r0 + r) * GH + jb);
                    a1[r] = vload(a + (r0 + r) * GH + jb + VL);
                }
                for (int64_t k = 0; k < K; k++) {
                    const vf w0 = vload(wT + k * GH + jb), w1 = vload(wT + k * GH + jb + VL);
                    for (int r = 0; r < n; r++) {
                        const float x = src[r0 + r][go + k];
                        a0[r] += x * w0;
                        a1[r] += x * w1;
                    }
                }
                for (int r = 0; r < n; r++) {
                    vstore(a + (r0 + r) * GH + jb, a0[r]);
                    vstore(a + (r0 + r) * GH + jb + VL, a1[r]);
                }
            }
            jb += 2 * VL;
            continue;
        }
        vf acc[RB];
        for (int r = 0; r < nr; r++) acc[r] = vload(a + r * GH + jb);
        for (int64_t k = 0; k < K; k++) {
            const vf w = vload(wT + k * GH + jb);
            for (int r = 0; r < nr; r++) acc[r] += src[r][go + k] * w;
        }
        for (int r = 0; r < nr; r++) vstore(a + r * GH + jb, acc[r]);
        jb += VL;
    }
}
#define mv_block(nr, a, src, gs, K, wT, H, GH) mv_range(nr, a, src, gs, K, wT, H, GH, 0, GH)

/* dwT[k, j0:j1] += Σ_r src_r(gate)[k] d_r[j0:j1]   (dwT: K x GH, d: nr x GH) */
ALWAYS_INLINE void outer_range(const int nr, float *dwT, const float *const *src, int64_t gs, int64_t K,
                               const float *d, int64_t H, int64_t GH, int64_t j0, int64_t j1) {
    for (int64_t jb = j0; jb < j1;) {
        const int64_t go = (jb / H) * gs;
        if (jb + 2 * VL <= j1 && (gs == 0 || go == ((jb + VL) / H) * gs)) {
            /* two column vectors share each broadcast of src (as in mv_range); rows in sub-blocks of R2,
             * each dwT element still summing its rows in order */
            for (int r0 = 0; r0 < nr; r0 += R2) {
                const int n = nr - r0 < R2 ? nr - r0 : R2;
                vf d0[R2], d1[R2];
                for (int r = 0; r < n; r++) {
                    d0[r] = vload(d + (r0 + r) * GH + jb);
                    d1[r] = vload(d + (r0 + r) * GH + jb + VL);
                }
                for (int64_t k = 0; k < K; k++) {
                    float *o = dwT + k * GH + jb;
                    vf a0 = vload(o), a1 = vload(o + VL);
                    for (int r = 0; r < n; r++) {
                        const float x = src[r0 + r][go + k];
                        a0 += x * d0[r];
                        a1 += x * d1[r];
                    }
                    vstore(o, a0);
                    vstore(o + VL, a1);
                }
            }
            jb += 2 * VL;
            continue;
        }
        vf dr[RB];
        for (int r = 0; r < nr; r++) dr[r] = vload(d + r * GH + jb);
        for (int64_t k = 0; k < K; k++) {
            vf acc = vload(dwT + k * GH + jb);
            for (int r = 0; r < nr; r++) acc += src[r][go + k] * dr[r];
            vstore(dwT + k * GH + jb, acc);
        }
        jb += VL;
    }
}
#define outer_block(nr, dwT, src, gs, K, d, H, GH) outer_range(nr, dwT, src, gs, K, d, H, GH, 0, GH)

/* dh_r += Σ_{g0<=g<g1} mask_r,g * (W_g^T d_r,g)   (w: GH x H, H % VL == 0) */
ALWAYS_INLINE void mtv_range(const int nr, float *dh, const float *d, const float *w, const float *const *mask,
                             int64_t H, int64_t G, int64_t g0, int64_t g1) {
    const int64_t GH = G * H;
    int64_t kb0 = 0;
    /* two column vectors of dh share each broadcast of d (as in mv_range); the same sums in the same order */
    for (; kb0 + 2 * VL <= H; kb0 += 2 * VL)
        for (int64_t g = g0; g < g1; g++)
            for (int r0 = 0; r0 < nr; r0 += R2) {
                const int n = nr - r0 < R2 ? nr - r0 : R2;
                vf a0[R2], a1[R2];
                for (int r = 0; r < n; r++) a0[r] = a1[r] = (vf){0};
                for (int64_t j = g * H; j < (g + 1) * H; j++) {
                    const vf w0 = vload(w + j * H + kb0), w1 = vload(w + j * H + kb0 + VL);
                    for (int r = 0; r < n; r++) {
                        const float x = d[(r0 + r) * GH + j];
                        a0[r] += x * w0;
                        a1[r] += x * w1;
                    }
                }
                for (int r = 0; r < n; r++) {
                    float *o = dh + (r0 + r) * H + kb0;
                    vf v0 = vload(o), v1 = vload(o + VL);
                    if (mask) {
                        v0 += a0[r] * vload(mask[r0 + r] + g * H + kb0);
                        v1 += a1[r] * vload(mask[r0 + r] + g * H + kb0 + VL);
                    } else {
                        v0 += a0[r];
                        v1 += a1[r];
                    }
                    vstore(o, v0);
                    vstore(o + VL, v1);
                }
            }
    for (int64_t kb = kb0; kb < H; kb += VL)
        for (int64_t g = g0; g < g1; g++) {
            vf acc[RB];
            for (int r = 0; r < nr; r++) acc[r] = (vf){0};
            for (int64_t j = g * H; j < (g + 1) * H; j++) {
                const vf wj = vload(w + j * H + kb);
                for (int r = 0; r < nr; r++) acc[r] += d[r * GH + j] * wj;
            }
            for (int r = 0; r < nr; r++) {
                vf v = vload(dh + r * H + kb);
                v += mask ? acc[r] * vload(mask[r] + g * H + kb) : acc[r];
                vstore(dh + r * H + kb, v);
            }
        }
}
#define mtv_block(nr, dh, d, w, mask, H, G) mtv_range(nr, dh, d, w, mask, H, G, 0, G)

/* dx_r += Σ_g xmask_r,g * (W_g^T d_r,g) for any F (w: GH x F); tmp: F floats */
static void mtv_rows(int nr, float *const *dx, const float *d, const float *w, const float *const *mask,
                     int64_t gm, int64_t F, int64_t H, int64_t G, float *tmp) {
    const int64_t GH = G * H;
    for (int r = 0; r < nr; r++)
        for (int64_t g = 0; g < G; g++) {
            memset(tmp, 0, (size_t)F * sizeof(float));
            for (int64_t j = g * H; j < (g + 1) * H; j++) {
                const float dj = d[r * GH + j];
                const float *wj = w + j * F;
#pragma omp simd
                for (int64_t f = 0; f < F; f++) tmp[f] += dj * wj[f];
            }
            const float *m = mask ? mask[r] + g * gm : NULL;
#pragma omp simd
            for (int64_t f = 0; f < F; f++) dx[r][f] += m ? tmp[f] * m[f] : tmp[f];
        }
}

/* ---- the elementwise part of a step of one row (ax: input side incl. b_ih; ah: recurrent side
 * incl. b_hh; for cells other than GRU the caller passes one buffer, already summed). The loops
 * run in chunks of VL (H is a multiple of it), so each chunk is one vector without masking.
 * The forward keeps what the backward needs in ``act`` (LSTM: σ(i) σ(f) tanh(g) σ(o); GRU: r z n
 * and W_hn h' + b_hn): storing them costs less than recomputing the step's matmul and
 * exponentials in the backward (bench/recurrent_kernels.py measures the kernel). */
#define EACH_UNIT(k) for (int64_t k##0 = 0; k##0 < H; k##0 += VL) _Pragma("omp simd") \
    for (int64_t k = k##0; k < k##0 + VL; k++)

static inline void lstm_fwd(const float *restrict a, float *restrict c, const float *restrict cprev,
                            float *restrict h, float *restrict act, int64_t H) {
    EACH_UNIT(k) {
        float i = vsigmoid(a[k]), f = vsigmoid(a[H + k]);
        float g = vtanh(a[2 * H + k]), o = vsigmoid(a[3 * H + k]);
        float ck = f * cprev[k] + i * g;
        c[k] = ck;
        h[k] = o * vtanh(ck);
        act[k] = i; act[H + k] = f; act[2 * H + k] = g; act[3 * H + k] = o;
    }
}

static inline void gru_fwd(const float *restrict ax, const float *restrict ah, const float *restrict hprev,
                           float *restrict h, float *restrict act, int64_t H) {
    EACH_UNIT(k) {
        float r = vsigmoid(ax[k] + ah[k]);
        float z = vsigmoid(ax[H + k] + ah[H + k]);
        float hn = ah[2 * H + k];
        float n = vtanh(ax[2 * H + k] + r * hn);
        h[k] = z * hprev[k] + (1.0f - z) * n;
        act[k] = r; act[H + k] = z; act[2 * H + k] = n; act[3 * H + k] = hn;
    }
}

/* reset before: ah holds W_h[rz] h' + b_h[rz] and W_hn (r h') + b_hn (the caller's second matmul) */
static inline void gru_rb_fwd(const float *restrict ax, const float *restrict ah, const float *restrict rg,
                              const float *restrict hprev, float *restrict h, float *restrict act, int64_t H) {
    EACH_UNIT(k) {
        float z = vsigmoid(ax[H + k] + ah[H + k]);
        float n = vtanh(ax[2 * H + k] + ah[2 * H + k]);
        h[k] = z * hprev[k] + (1.0f - z) * n;
        act[k] = rg[k]; act[H + k] = z; act[2 * H + k] = n; act[3 * H + k] = 0.0f;
    }
}

static inline void rnn_fwd(int relu, const float *restrict a, float *restrict h, int64_t H) {
    if (relu) {
        EACH_UNIT(k) { float v = a[k]; h[k] = (v > 0.0f || v != v) ? v : 0.0f; }
    } else {
        EACH_UNIT(k) h[k] = vtanh(a[k]);
    }
}

/* backward of a step: from dh (dL/dh_t) to dxp (dL/d input-side pre-activations), drec (dL/d
 * recurrent-side pre-activations) and dhp (the direct part of dL/dh_{t-1}); LSTM also updates dc. */
static inline void lstm_bwd(const float *restrict act, const float *restrict c, const float *restrict cprev,
                            const float *restrict dh, float *restrict dc, float *restrict dxp, int64_t H) {
    EACH_UNIT(k) {
        float i = act[k], f = act[H + k], g = act[2 * H + k], og = act[3 * H + k];
        float tc = vtanh(c[k]);
        float d = dc[k] + dh[k] * og * (1.0f - tc * tc);
        dxp[k] = d * g * i * (1.0f - i);
        dxp[H + k] = d * cprev[k] * f * (1.0f - f);
        dxp[2 * H + k] = d * i * (1.0f - g * g);
        dxp[3 * H + k] = dh[k] * tc * og * (1.0f - og);
        dc[k] = d * f;
    }
}

static inline void gru_bwd(const float *restrict act, const float *restrict hprev, const float *restrict dh,
                           float *restrict dxp, float *restrict drec, float *restrict dhp, int64_t H) {
    EACH_UNIT(k) {
        float r = act[k], z = act[H + k], n = act[2 * H + k], hn = act[3 * H + k];
        float dn = dh[k] * (1.0f - z) * (1.0f - n * n);
        float dz = dh[k] * (hprev[k] - n) * z * (1.0f - z);
        float dr = dn * hn * r * (1.0f - r);
        dxp[k] = dr; dxp[H + k] = dz; dxp[2 * H + k] = dn;
        drec[k] = dr; drec[H + k] = dz; drec[2 * H + k] = dn * r;
        dhp[k] = dh[k] * z;
    }
}

static inline void rnn_bwd(int relu, const float *restrict h, const float *restrict dh, float *restrict dxp,
                           int64_t H) {
    if (relu) {
        EACH_UNIT(k) dxp[k] = h[k] > 0.0f ? dh[k] : 0.0f;
    } else {
        EACH_UNIT(k) dxp[k] = dh[k] * (1.0f - h[k] * h[k]);
    }
}

/* ---- per-thread work */
typedef struct {          /* a thread's scratch, RB rows */
    float *ax, *ah, *xm, *hm, *zero;
    const float *xs[RB], *hs[RB];       /* what each row multiplies: x_t / h_{t-1} or masked copies */
    const float *xmk[RB], *hmk[RB];     /* each row's masks (or NULL) */
    const float *gxr[RB];               /* each row's hoisted input side at this step (J->gx) */
    int64_t xgs, hgs;                   /* gate strides of xm / hm: 0 (shared) or F / H */
} scratch_t;

static float *scratch_alloc(scratch_t *S, const job_t *J, size_t extra) {
    const int64_t GH = J->G * J->H, F = J->F, H = J->H;
    float *buf = calloc((size_t)(2 * RB * GH + RB * J->G * (F + H) + H) + extra, sizeof(float));
    if (!buf) return NULL;
    S->ax = buf; S->ah = S->ax + RB * GH; S->xm = S->ah + RB * GH; S->hm = S->xm + RB * J->G * F;
    S->zero = S->hm + RB * J->G * H;
    return buf;
}

/* Each row of a block is its own stream through x, h, c and dL/dh, 8 rows x 3-4 tensors: more
 * streams than the hardware prefetcher follows, so loads stalled on memory (a fifth of the
 * backward's time). Each step asks for the lines PF steps ahead (dir = +1 forward, -1 backward). */
#define PF 6
static inline void prefetch_rows(const float *base, int64_t row_floats, int64_t o, int64_t t, int64_t T,
                                 int dir) {
    const int64_t tp = t + dir * PF;
    if (!base || tp < 0 || tp >= T) return;
    const char *p = (const char *)(base + (o + dir * PF) * row_floats);
    for (int64_t i = 0; i < row_floats * (int64_t)sizeof(float); i += 64) __builtin_prefetch(p + i);
}

/* dst[g * n + i] = v[i] * m[g * n + i] for each of the mask's gate blocks; returns dst */
static const float *mask_copy(const float *v, const float *m, int64_t gates, int64_t n, float *dst) {
    for (int64_t g = 0; g < gates; g++)
#pragma omp simd
        for (int64_t i = 0; i < n; i++) dst[g * n + i] = v[i] * m[g * n + i];
    return dst;
}

/* the (masked) x_t and h_{t-1} each gate block of rows b0.. multiplies */
static void gate_sources(scratch_t *S, const job_t *J, int64_t b0, int nr, int64_t t, int dir) {
    const int64_t T = J->T, F = J->F, H = J->H, G = J->G;
    const int64_t xg = J->xmask ? J->xgates : 1;
    const int64_t mT = J->mstep ? T : 1, mt = J->mstep ? t : 0;   /* masks per step or per sequence */
    for (int r = 0; r < nr; r++) {
        const int64_t o = (b0 + r) * T + t;
        const float *x = J->x + o * F, *hp = t ? J->out + (o - 1) * H : S->zero;
        prefetch_rows(J->x, F, o, t, T, dir);
        prefetch_rows(J->out, H, o, t, T, dir);
        if (dir < 0) {
            prefetch_rows(J->cs, H, o, t, T, dir);
            prefetch_rows(J->act, 4 * H, o, t, T, dir);
            prefetch_rows(J->dout, H, o, t, T, dir);
        }
        S->xs[r] = x; S->xmk[r] = NULL;
        S->gxr[r] = J->gx ? J->gx + o * G * H : NULL;
        if (J->gx) prefetch_rows(J->gx, G * H, o, t, T, dir);
        S->hs[r] = hp; S->hmk[r] = NULL;
        if (J->xmask) {
            S->xmk[r] = J->xmask + ((b0 + r) * mT + mt) * xg * F;
            S->xs[r] = mask_copy(x, S->xmk[r], xg, F, S->xm + r * G * F);
        }
        if (J->hmask) {
            S->hmk[r] = J->hmask + ((b0 + r) * mT + mt) * G * H;
            S->hs[r] = mask_copy(hp, S->hmk[r], G, H, S->hm + r * G * H);
        }
    }
    S->xgs = xg > 1 ? F : 0;
    S->hgs = J->hmask ? H : 0;
}

/* ax (and ah for GRU) of rows b0.. at step t */
ALWAYS_INLINE void preactivations(const int nr, scratch_t *S, const job_t *J) {
    const int64_t GH = J->G * J->H, H = J->H;
    const int gru = J->cell == GRU;
    for (int r = 0; r < nr; r++) {
        float *ax = S->ax + r * GH, *ah = S->ah + r * GH;
        const float *bx = J->gx ? S->gxr[r] : J->bx;   /* hoisted: W_ih x_t + b_ih, F = 0 below */
        if (gru) {
            memcpy(ax, bx, (size_t)GH * sizeof(float));
            memcpy(ah, J->bh, (size_t)GH * sizeof(float));
        } else {
#pragma omp simd
            for (int64_t j = 0; j < GH; j++) ax[j] = bx[j] + J->bh[j];
        }
    }
    mv_block(nr, S->ax, S->xs, S->xgs, J->F, J->wxT, H, GH);
    mv_block(nr, gru ? S->ah : S->ax, S->hs, S->hgs, H, J->whT, H, GH);
}

/* the reset-before GRU's two matmuls for rows b0..: ax = W_x x + b_x, ah[rz] = W_h[rz] h' + b_h[rz],
 * then r, then ah[n] = W_hn (r h'_n) + b_hn (h'_n: h' under gate n's recurrent mask); r goes to rg */
ALWAYS_INLINE void gru_rb_preactivations(const int nr, scratch_t *S, const job_t *J, float *rg, float *rh) {
    const int64_t GH = J->G * J->H, H = J->H;
    const float *rhs[RB];
    for (int r = 0; r < nr; r++) {
        memcpy(S->ax + r * GH, J->gx ? S->gxr[r] : J->bx, (size_t)GH * sizeof(float));
        memcpy(S->ah + r * GH, J->bh, (size_t)GH * sizeof(float));
    }
    mv_block(nr, S->ax, S->xs, S->xgs, J->F, J->wxT, H, GH);
    mv_range(nr, S->ah, S->hs, S->hgs, H, J->whT, H, GH, 0, 2 * H);
    for (int r = 0; r < nr; r++) {
        const float *ax = S->ax + r * GH, *ah = S->ah + r * GH, *hn = S->hs[r] + 2 * S->hgs;
        float *rr = rg + r * H, *rhr = rh + r * H;
        EACH_UNIT(k) { rr[k] = vsigmoid(ax[k] + ah[k]); rhr[k] = rr[k] * hn[k]; }
        rhs[r] = rhr;
    }
    mv_range(nr, S->ah, rhs, 0, H, J->whT, H, GH, 2 * H, 3 * H);
}

static void *forward_rows(void *arg) {
    job_t *J = (job_t *)arg;
    const int64_t T = J->T, H = J->H, GH = J->G * H;
    scratch_t S;
    float *buf = scratch_alloc(&S, J, (size_t)(4 * RB * H + 4 * H));
    if (!buf) return (void *)1;
    float *cbuf = S.zero + H;          /* LSTM c of each row when cs is not kept (inference) */
    float *abuf = cbuf + 2 * RB * H;   /* the activations' sink when they are not kept */
    float *rg = abuf + 4 * H, *rh = rg + RB * H;   /* reset-before GRU: r and r h'_n of each row */
    for (int64_t b0 = J->r0; b0 < J->r1; b0 += RB) {
        const int nr = (int)(J->r1 - b0 < RB ? J->r1 - b0 : RB);
        memset(cbuf, 0, (size_t)(2 * RB * H) * sizeof(float));
        for (int64_t t = 0; t < T; t++) {
            gate_sources(&S, J, b0, nr, t, 1);
            if (J->cell == GRU_RB) {
                if (nr == RB) gru_rb_preactivations(RB, &S, J, rg, rh);
                else gru_rb_preactivations(nr, &S, J, rg, rh);
            } else if (nr == RB) preactivations(RB, &S, J);
            else preactivations(nr, &S, J);
            for (int r = 0; r < nr; r++) {
                const int64_t o = (b0 + r) * T + t;
                float *h = J->out + o * H, *ax = S.ax + r * GH;
                const float *hp = t ? h - H : S.zero;
                if (J->cell == LSTM) {
                    float *c = J->cs ? J->cs + o * H : cbuf + ((t & 1) * RB + r) * H;
                    const float *cp = !t ? S.zero : J->cs ? c - H : cbuf + (((t - 1) & 1) * RB + r) * H;
                    lstm_fwd(ax, c, cp, h, J->act ? J->act + o * 4 * H : abuf, H);
                } else if (J->cell == GRU) {
                    gru_fwd(ax, S.ah + r * GH, hp, h, J->act ? J->act + o * 4 * H : abuf, H);
                } else if (J->cell == GRU_RB) {
                    gru_rb_fwd(ax, S.ah + r * GH, rg + r * H, hp, h, J->act ? J->act + o * 4 * H : abuf, H);
                } else {
                    rnn_fwd(J->cell == RNN_RELU, ax, h, H);
                }
                if (t == T - 1 && J->last) memcpy(J->last + (b0 + r) * H, h, (size_t)H * sizeof(float));
            }
        }
    }
    free(buf);
    return NULL;
}

/* the reset-before GRU's backward of a step for rows b0.. (dh: dL/dh_t with the output's part added):
 * dxp = dL/d[r z n] pre-activations (input and recurrent side alike), dhp = dL/dh_{t-1}, and the
 * weight gradients; W_hn's input is r h'_n, so dr needs W_hn^T dn first */
ALWAYS_INLINE void gru_rb_backward_step(const int nr, scratch_t *S, job_t *J, int64_t b0, int64_t t,
                                        float *dh, float *dxp, float *dhp, float *drh, float *rh) {
    const int64_t T = J->T, F = J->F, H = J->H, G = J->G, GH = G * H;
    const float *rhs[RB];
    for (int r = 0; r < nr; r++) {
        const int64_t o = (b0 + r) * T + t;
        const float *act = J->act + o * 4 * H, *hp = t ? J->out + (o - 1) * H : S->zero;
        const float *hn = S->hs[r] + 2 * S->hgs;
        const float *dhr = dh + r * H;
        float *dxr = dxp + r * GH, *dhpr = dhp + r * H, *rhr = rh + r * H;
        EACH_UNIT(k) {
            float rg = act[k], z = act[H + k], n = act[2 * H + k];
            dxr[2 * H + k] = dhr[k] * (1.0f - z) * (1.0f - n * n);
            dxr[H + k] = dhr[k] * (hp[k] - n) * z * (1.0f - z);
            dhpr[k] = dhr[k] * z;
            rhr[k] = rg * hn[k];
        }
        rhs[r] = rhr;
    }
    memset(drh, 0, (size_t)(nr * H) * sizeof(float));
    mtv_range(nr, drh, dxp, J->wh, NULL, H, G, 2, 3);                /* W_hn^T dn */
    for (int r = 0; r < nr; r++) {
        const int64_t o = (b0 + r) * T + t;
        const float *act = J->act + o * 4 * H, *hn = S->hs[r] + 2 * S->hgs, *d = drh + r * H;
        const float *mn = S->hmk[r] ? S->hmk[r] + 2 * H : NULL;
        float *dxr = dxp + r * GH, *dhpr = dhp + r * H;
        EACH_UNIT(k) {
            float rg = act[k];
            dxr[k] = d[k] * hn[k] * rg * (1.0f - rg);
            dhpr[k] += d[k] * rg * (mn ? mn[k] : 1.0f);
        }
#pragma omp simd
        for (int64_t j = 0; j < GH; j++) { J->dbx[j] += dxr[j]; J->dbh[j] += dxr[j]; }
    }
    const float *const *hmk = J->hmask ? (const float *const *)S->hmk : NULL;
    outer_block(nr, J->dwxT, S->xs, S->xgs, F, dxp, H, GH);
    outer_range(nr, J->dwhT, S->hs, S->hgs, H, dxp, H, GH, 0, 2 * H);
    outer_range(nr, J->dwhT, rhs, 0, H, dxp, H, GH, 2 * H, 3 * H);
    mtv_range(nr, dhp, dxp, J->wh, hmk, H, G, 0, 2);
}

static void *backward_rows(void *arg) {
    job_t *J = (job_t *)arg;
    const int64_t T = J->T, F = J->F, H = J->H, G = J->G, GH = G * H;
    scratch_t S;
    float *buf = scratch_alloc(&S, J, (size_t)(2 * RB * GH + 5 * RB * H + F));
    if (!buf) return (void *)1;
    float *dxp = S.zero + H, *drec = dxp + RB * GH, *dh = drec + RB * GH, *dc = dh + RB * H,
          *dhp = dc + RB * H, *tmp = dhp + RB * H, *drh = tmp + F, *rh = drh + RB * H;
    const int gru = J->cell == GRU, lstm = J->cell == LSTM;
    for (int64_t b0 = J->r0; b0 < J->r1; b0 += RB) {
        const int nr = (int)(J->r1 - b0 < RB ? J->r1 - b0 : RB);
        memset(dh, 0, (size_t)(2 * RB * H) * sizeof(float));   /* dh and dc */
        if (J->dlast)
            for (int r = 0; r < nr; r++) memcpy(dh + r * H, J->dlast + (b0 + r) * H, (size_t)H * sizeof(float));
        for (int64_t t = T - 1; t >= 0; t--) {
            gate_sources(&S, J, b0, nr, t, -1);
            if (J->cell == GRU_RB) {
                if (J->dout)
                    for (int r = 0; r < nr; r++) {
                        const float *dy = J->dout + ((b0 + r) * T + t) * H;
                        float *dhr = dh + r * H;
#pragma omp simd
                        for (int64_t k = 0; k < H; k++) dhr[k] += dy[k];
                    }
                if (nr == RB) gru_rb_backward_step(RB, &S, J, b0, t, dh, dxp, dhp, drh, rh);
                else gru_rb_backward_step(nr, &S, J, b0, t, dh, dxp, dhp, drh, rh);
                goto input_grad;
            }
            for (int r = 0; r < nr; r++) {
                const int64_t o = (b0 + r) * T + t;
                const float *h = J->out + o * H;
                float *dhr = dh + r * H, *dhpr = dhp + r * H, *dxr = dxp + r * GH;
                const float *act = J->act ? J->act + o * 4 * H : NULL;
                if (J->dout) {
                    const float *dy = J->dout + o * H;
#pragma omp simd
                    for (int64_t k = 0; k < H; k++) dhr[k] += dy[k];
                }
                if (lstm) lstm_bwd(act, J->cs + o * H, t ? J->cs + (o - 1) * H : S.zero, dhr, dc + r * H, dxr, H);
                else if (gru) gru_bwd(act, t ? h - H : S.zero, dhr, dxr, drec + r * GH, dhpr, H);
                else rnn_bwd(J->cell == RNN_RELU, h, dhr, dxr, H);
                const float *dr = gru ? drec + r * GH : dxr;
#pragma omp simd
                for (int64_t j = 0; j < GH; j++) { J->dbx[j] += dxr[j]; J->dbh[j] += dr[j]; }
                if (!gru) memset(dhpr, 0, (size_t)H * sizeof(float));
            }
            const float *dr = gru ? drec : dxp;
            const float *const *hmk = J->hmask ? S.hmk : NULL;
            if (nr == RB) {
                outer_block(RB, J->dwxT, S.xs, S.xgs, F, dxp, H, GH);
                outer_block(RB, J->dwhT, S.hs, S.hgs, H, dr, H, GH);
                mtv_block(RB, dhp, dr, J->wh, hmk, H, G);
            } else {
                outer_block(nr, J->dwxT, S.xs, S.xgs, F, dxp, H, GH);
                outer_block(nr, J->dwhT, S.hs, S.hgs, H, dr, H, GH);
                mtv_block(nr, dhp, dr, J->wh, hmk, H, G);
            }
        input_grad:
            if (J->dgx)   /* hoisted input side: the caller's GEMMs take dW_ih and dx from these */
                for (int r = 0; r < nr; r++)
                    memcpy(J->dgx + ((b0 + r) * T + t) * GH, dxp + r * GH, (size_t)GH * sizeof(float));
            if (J->dx) {
                float *dxs[RB];
                for (int r = 0; r < nr; r++) dxs[r] = J->dx + ((b0 + r) * T + t) * F;
                mtv_rows(nr, dxs, dxp, J->wx, J->xmask ? S.xmk : NULL, S.xgs, F, H, G, tmp);
            }
            memcpy(dh, dhp, (size_t)(nr * H) * sizeof(float));
        }
    }
    free(buf);
    return NULL;
}

/* runs fn over the rows split between threads; backward partial sums (``partial`` floats per
 * thread: dwxT, dbx, dwhT, dbh) of threads 1.. go to scratch and are added to thread 0's. */
static int run(job_t *proto, int threads, void *(*fn)(void *), int64_t partial) {
    const int64_t B = proto->B, GH = proto->G * proto->H, FG = proto->F * GH, HG = proto->H * GH;
    if (threads < 1) threads = 1;
    if (threads > B) threads = (int)(B > 0 ? B : 1);
    job_t *jobs = calloc((size_t)threads, sizeof(job_t));
    pthread_t *th = calloc((size_t)threads, sizeof(pthread_t));
    char *started = calloc((size_t)threads, 1);
    float *parts = partial && threads > 1 ? calloc((size_t)((threads - 1) * partial), sizeof(float)) : NULL;
    if (!jobs || !th || !started || (partial && threads > 1 && !parts)) {
        free(jobs); free(th); free(started); free(parts);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < threads; i++) {
        jobs[i] = *proto;
        jobs[i].r0 = B * i / threads;
        jobs[i].r1 = B * (i + 1) / threads;
        if (partial && i > 0) {
            float *p = parts + (i - 1) * partial;
            jobs[i].dwxT = p; jobs[i].dbx = p + FG; jobs[i].dwhT = p + FG + GH; jobs[i].dbh = p + FG + GH + HG;
        }
        if (i > 0 && pthread_create(&th[i], NULL, fn, &jobs[i]) == 0) started[i] = 1;
    }
    if (fn(&jobs[0])) rc = 1;
    for (int i = 1; i < threads; i++) {
        void *res = NULL;
        if (started[i]) {
            pthread_join(th[i], &res);
            if (res) rc = 1;
        } else if (fn(&jobs[i])) {    /* could not start a thread: do its rows here */
            rc = 1;
        }
    }
    for (int i = 1; parts && i < threads; i++) {
        const float *p = parts + (i - 1) * partial;
        for (int64_t j = 0; j < FG; j++) proto->dwxT[j] += p[j];
        for (int64_t j = 0; j < GH; j++) proto->dbx[j] += p[FG + j];
        for (int64_t j = 0; j < HG; j++) proto->dwhT[j] += p[FG + GH + j];
        for (int64_t j = 0; j < GH; j++) proto->dbh[j] += p[FG + GH + HG + j];
    }
    free(jobs); free(th); free(started); free(parts);
    return rc;
}

static job_t make_job(int cell, int64_t B, int64_t T, int64_t F, int64_t H, int64_t G, const float *x,
                      const float *xmask, int xgates, const float *hmask, int mstep) {
    job_t J;
    memset(&J, 0, sizeof J);
    J.cell = cell; J.B = B; J.T = T; J.F = F; J.H = H; J.G = G; J.x = x;
    J.xmask = xmask; J.xgates = xgates; J.hmask = hmask; J.mstep = mstep;
    return J;
}

int rnn_vector_width(void) { return VL; }
int rnn_row_block(void) { return RB; }

/* returns 0, 1 (out of memory), 2 (H not a multiple of VL) or 3 (gx given with F > 0 or an input mask) */
int rnn_forward(int cell, int64_t B, int64_t T, int64_t F, int64_t H, int64_t G, const float *x,
                const float *wxT, const float *bx, const float *xmask, int xgates, const float *whT,
                const float *bh, const float *hmask, int mstep, float *out, float *last, float *cs, float *act,
                int threads, const float *gx) {
    if (H % VL) return 2;
    if (gx && (F || xmask)) return 3;
    job_t J = make_job(cell, B, T, F, H, G, x, xmask, xgates, hmask, mstep);
    J.wxT = wxT; J.bx = bx; J.whT = whT; J.bh = bh; J.gx = gx;
    J.out = out; J.last = last; J.cs = cs; J.act = act;
    return run(&J, threads, forward_rows, 0);
}

/* From the forward's out, cs and act (no recomputation: the biases and the transposed weights
 * are not needed). dwxT (F x GH), dbx, dwhT (H x GH), dbh are added to (the caller zeroes them);
 * dx, if not NULL, is added to (zeroed by the caller). */
int rnn_backward(int cell, int64_t B, int64_t T, int64_t F, int64_t H, int64_t G, const float *x,
                 const float *wx, const float *xmask, int xgates, const float *wh, const float *hmask, int mstep,
                 const float *out, const float *cs, const float *act, const float *dout, const float *dlast,
                 float *dx, float *dwxT, float *dbx, float *dwhT, float *dbh, int threads, float *dgx) {
    if (H % VL) return 2;
    if (dgx && (F || xmask)) return 3;
    job_t J = make_job(cell, B, T, F, H, G, x, xmask, xgates, hmask, mstep);
    J.dgx = dgx;
    J.wx = wx; J.wh = wh;
    J.out = (float *)out; J.cs = (float *)cs; J.act = (float *)act; J.dout = dout; J.dlast = dlast;
    J.dx = dx; J.dwxT = dwxT; J.dbx = dbx; J.dwhT = dwhT; J.dbh = dbh;
    return run(&J, threads, backward_rows, (F + H + 2) * G * H);
}
