/* word2vec's sequential SGD on CPU, word2vec.c / gensim semantics, Hogwild across threads.
 *
 * One call trains one epoch: threads take the sentences in order, one at a time, subsample
 * each sentence, draws a shrunk window per centre (b = rand % window) and applies every
 * update before the next pair reads the weights (CBOW: the mean / sum of the context predicts
 * the centre; skip-gram: each context word's input vector predicts the centre, i.e. the
 * centre's Huffman path / the centre as positive of negative sampling). Saturated dot
 * products (|f| >= 6) give no update, as in gensim's word2vec_inner.pyx. Threads share the
 * weight matrices without locks (Hogwild, as word2vec.c and gensim). The learning rate decays
 * linearly with the raw words processed by all threads, recomputed at each sentence (gensim
 * recomputes it per job of <= 10,000 words; our sentences are <= 10,000 tokens).
 *
 * One departure from plain Hogwild, with more than one thread and hierarchical softmax: every
 * pair's path starts at the Huffman tree's root, so with two threads writing the same top rows
 * of syn1 their cache lines move between the cores at every pair, and two threads ran 2-2.4x
 * slower than one (skip-gram/HS, 4M tokens; bench/word2vec_threads.py). Each thread therefore keeps
 * its own copy of the `hot` most visited inner nodes (the last rows of syn1: Huffman's merges
 * create inner nodes in the order of their counts, the root last), trains on it as on the shared
 * rows (its own updates land before its next pair, as before), and at the end of each sentence
 * adds what it changed to the shared rows and takes their new values (the other threads'
 * changes) back. The other threads see a thread's updates to those rows a sentence later
 * (<= 10,000 tokens) instead of at once; one thread (hot = 0) is word2vec.c's SGD exactly.
 *
 * Built at first use by rnnbench.word2vec.native through rnnbench.cbuild (cc -O3 -march=$RNNBENCH_MARCH
 * -fopenmp-simd -pthread) and called through ctypes (which releases the GIL).
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXP_TABLE_SIZE 1000
#define MAX_EXP 6

typedef struct {
    float *syn0, *syn1, *syn1neg;
    int64_t V, D;
    const int32_t *ids;        /* in-vocabulary token ids of the whole corpus */
    const int64_t *sent_off;   /* S + 1 offsets into ids */
    const int64_t *sent_raw;   /* raw tokens (incl. out-of-vocabulary) of each sentence */
    const float *keep_prob;    /* V */
    const uint8_t *codes;      /* V x depth */
    const int32_t *points;     /* V x depth */
    const int32_t *lengths;    /* V */
    int32_t depth;
    const float *alias_prob;   /* V */
    const int32_t *alias_idx;  /* V */
    int32_t sg, hs, negative, window, cbow_mean;
    int64_t hot_lo, hot_n;     /* syn1 rows [hot_lo, hot_lo + hot_n) are copied per thread (hot_n = 0: none) */
    float alpha0, min_alpha;
    int64_t done_before, total;
    int64_t progress;          /* raw words done this epoch, all threads (atomic) */
    int64_t next_sent, S;      /* the next sentence to hand out (atomic), the number of sentences */
    int64_t maxlen;            /* longest sentence (in-vocabulary tokens) */
    float exp_table[EXP_TABLE_SIZE];
} shared_t;

typedef struct {
    shared_t *sh;
    uint64_t rng;
    int64_t effective, pairs;
    float alpha_last;
    char pad[64]; /* one cache line apart: the threads' results are written only at the end */
} job_t;

static inline uint64_t next_rand(uint64_t *s) { /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline float uniform01(uint64_t *s) { return (float)(next_rand(s) >> 40) * (1.0f / 16777216.0f); }

static inline float dot(const float *a, const float *b, int64_t n) {
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static inline void axpy(float g, const float *x, float *y, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] += g * x[i];
}

/* neu1e += g * l2; l2 += g * l1, in one pass over l2 (the values l2 had before this step) */
static inline void update_pair(float g, const float *l1, float *l2, float *neu1e, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
        float t = l2[i];
        neu1e[i] += g * t;
        l2[i] = t + g * l1[i];
    }
}

/* ask for a row's cache lines ahead of its use: the input and noise rows are random rows of
 * matrices larger than the caches. Measured (3M tokens, 1 epoch, 2 threads, medians of 3
 * alternating runs): prefetching the noise rows took skip-gram/NS from 320k to 552k words/s,
 * prefetching the next input row added 5-10 % to skip-gram (HS and NS). */
static inline void prefetch_row(const float *row, int64_t D) {
    const char *p = (const char *)row, *end = (const char *)(row + D) - 1;
    for (; p <= end; p += 64) __builtin_prefetch(p, 1, 3);
    __builtin_prefetch(end, 1, 3);
}

/* hierarchical softmax visits the output rows of the centre's Huffman path (up to ~25 random
 * rows of syn1 for a rare word) once per context word: ask for them once per centre */
static inline void prefetch_path(const shared_t *sh, int32_t word) {
    const int32_t *pts = sh->points + (int64_t)word * sh->depth;
    for (int32_t d = 0; d < sh->lengths[word]; d++)
        if (pts[d] < sh->hot_lo) prefetch_row(sh->syn1 + (int64_t)pts[d] * sh->D, sh->D);
}

/* the row of syn1 this thread trains: its own copy for the hot rows, the shared row otherwise */
static inline float *syn1_row(const shared_t *sh, float *hot, int32_t p) {
    return (hot && p >= sh->hot_lo) ? hot + (int64_t)(p - sh->hot_lo) * sh->D : sh->syn1 + (int64_t)p * sh->D;
}

/* add this thread's changes to the hot rows (copy - snapshot) to the shared rows, then take the
 * shared values (the other threads' changes included) as the new copy and snapshot */
static void sync_hot(const shared_t *sh, float *hot, float *snap) {
    const int64_t n = sh->hot_n * sh->D;
    float *shared = sh->syn1 + sh->hot_lo * sh->D;
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
        float v = shared[i] + (hot[i] - snap[i]);
        shared[i] = v;
        hot[i] = v;
        snap[i] = v;
    }
}

/* the output layers for input vector l1 and target word: update their weights, accumulate
 * the input's gradient step into neu1e */
static inline void output_step(shared_t *sh, const float *l1, int32_t word, float alpha, float *neu1e,
                               uint64_t *rng, float *hot) {
    const int64_t D = sh->D;
    if (sh->hs) {
        const int32_t len = sh->lengths[word];
        const int32_t *pts = sh->points + (int64_t)word * sh->depth;
        const uint8_t *cds = sh->codes + (int64_t)word * sh->depth;
        /* every dot product of the path first, then the updates: l1 is not changed inside the
         * path and its nodes are distinct rows, so the result is the same as alternating, and the
         * independent dot products overlap instead of each waiting for the previous update */
        float fs[64];
        for (int32_t d0 = 0; d0 < len; d0 += 64) {
            const int32_t d1 = d0 + 64 < len ? d0 + 64 : len;
            for (int32_t d = d0; d < d1; d++) fs[d - d0] = dot(l1, syn1_row(sh, hot, pts[d]), D);
            for (int32_t d = d0; d < d1; d++) {
                float f = fs[d - d0];
                if (f <= -MAX_EXP || f >= MAX_EXP) continue;
                f = sh->exp_table[(int)((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))];
                float g = (1.0f - (float)cds[d] - f) * alpha;
                update_pair(g, l1, syn1_row(sh, hot, pts[d]), neu1e, D);
            }
        }
    }
    if (sh->negative > 0) {
        /* draw the noise words first (the same draws, in the same order) and prefetch their
         * rows: they are random rows of a matrix larger than the caches */
        int32_t tgt[32];
        for (int32_t d0 = 0; d0 <= sh->negative; d0 += 32) { /* chunks of 32: any `negative` */
        const int32_t d1 = d0 + 32 <= sh->negative + 1 ? d0 + 32 : sh->negative + 1;
        for (int32_t d = d0; d < d1; d++) {
            if (d == 0) {
                tgt[0] = word;
                continue;
            }
            uint64_t r = next_rand(rng);
            int32_t col = (int32_t)(((r >> 32) * (uint64_t)sh->V) >> 32);
            float u = (float)(r & 0xFFFFFF) * (1.0f / 16777216.0f);
            tgt[d - d0] = u < sh->alias_prob[col] ? col : sh->alias_idx[col];
            prefetch_row(sh->syn1neg + (int64_t)tgt[d - d0] * D, D);
        }
        for (int32_t d = d0; d < d1; d++) {
            int32_t target = tgt[d - d0];
            float label = d == 0 ? 1.0f : 0.0f;
            if (d > 0 && target == word) continue;
            float *l2 = sh->syn1neg + (int64_t)target * D;
            float f = dot(l1, l2, D);
            if (f <= -MAX_EXP || f >= MAX_EXP) continue;
            f = sh->exp_table[(int)((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))];
            float g = (label - f) * alpha;
            update_pair(g, l1, l2, neu1e, D);
        }
        }
    }
}

static void *run_job(void *arg) {
    job_t *job = (job_t *)arg;
    shared_t *sh = job->sh;
    const int64_t D = sh->D;
    int32_t *sen = (int32_t *)malloc(sizeof(int32_t) * sh->maxlen);
    float *neu1 = (float *)malloc(sizeof(float) * D);
    float *neu1e = (float *)malloc(sizeof(float) * D);
    float *hot = NULL, *snap = NULL; /* this thread's copy of the hot rows, and their values at the last sync */
    if (sh->hot_n > 0) {
        hot = (float *)malloc(sizeof(float) * sh->hot_n * D);
        snap = (float *)malloc(sizeof(float) * sh->hot_n * D);
        memcpy(hot, sh->syn1 + sh->hot_lo * D, sizeof(float) * sh->hot_n * D);
        memcpy(snap, hot, sizeof(float) * sh->hot_n * D);
    }
    float alpha = sh->alpha0;
    uint64_t rng = job->rng; /* thread-local in the hot loop (no false sharing between jobs) */
    int64_t effective = 0, pairs = 0;
    for (;;) {
        /* dynamic scheduling, one sentence (<= 10,000 tokens, gensim's job size) at a time: a
         * thread slowed by other load on a shared machine never leaves the others idle */
        int64_t s = __atomic_fetch_add(&sh->next_sent, 1, __ATOMIC_RELAXED);
        if (s >= sh->S) break;
        int64_t done = sh->done_before + __atomic_load_n(&sh->progress, __ATOMIC_RELAXED);
        alpha = sh->alpha0 - (sh->alpha0 - sh->min_alpha) * (float)((double)done / (double)sh->total);
        if (alpha < sh->min_alpha) alpha = sh->min_alpha;
        int64_t n = 0;
        for (int64_t i = sh->sent_off[s]; i < sh->sent_off[s + 1]; i++) {
            int32_t w = sh->ids[i];
            float kp = sh->keep_prob[w];
            if (kp < 1.0f && uniform01(&rng) >= kp) continue;
            sen[n++] = w;
        }
        effective += n;
        for (int64_t pos = 0; pos < n; pos++) {
            int32_t word = sen[pos];
            int64_t b = (int64_t)(next_rand(&rng) >> 33) % sh->window;
            int64_t lo = pos - sh->window + b, hi = pos + sh->window - b;
            if (lo < 0) lo = 0;
            if (hi > n - 1) hi = n - 1;
            if (sh->hs) prefetch_path(sh, word);
            if (sh->sg) {
                for (int64_t c = lo; c <= hi; c++) {
                    if (c == pos) continue;
                    float *l1 = sh->syn0 + (int64_t)sen[c] * D;
                    int64_t nc = c + 1 == pos ? c + 2 : c + 1; /* the next input row: fetch it now */
                    if (nc <= hi) prefetch_row(sh->syn0 + (int64_t)sen[nc] * D, D);
                    memset(neu1e, 0, sizeof(float) * D);
                    output_step(sh, l1, word, alpha, neu1e, &rng, hot);
                    axpy(1.0f, neu1e, l1, D);
                    pairs++;
                }
            } else {
                int64_t cw = hi - lo; /* context words: the window minus the centre */
                if (cw <= 0) continue;
                for (int64_t c = lo; c <= hi; c++)
                    if (c != pos) prefetch_row(sh->syn0 + (int64_t)sen[c] * D, D);
                memset(neu1, 0, sizeof(float) * D);
                for (int64_t c = lo; c <= hi; c++)
                    if (c != pos) axpy(1.0f, sh->syn0 + (int64_t)sen[c] * D, neu1, D);
                float inv = 1.0f / (float)cw;
                if (sh->cbow_mean)
                    for (int64_t i = 0; i < D; i++) neu1[i] *= inv;
                memset(neu1e, 0, sizeof(float) * D);
                output_step(sh, neu1, word, alpha, neu1e, &rng, hot);
                if (!sh->cbow_mean)
                    for (int64_t i = 0; i < D; i++) neu1e[i] *= inv;
                for (int64_t c = lo; c <= hi; c++)
                    if (c != pos) axpy(1.0f, neu1e, sh->syn0 + (int64_t)sen[c] * D, D);
                pairs += cw;
            }
        }
        if (hot) sync_hot(sh, hot, snap);
        __atomic_fetch_add(&sh->progress, sh->sent_raw[s], __ATOMIC_RELAXED);
    }
    job->alpha_last = alpha;
    job->rng = rng;
    job->effective = effective;
    job->pairs = pairs;
    free(sen);
    free(neu1);
    free(neu1e);
    free(hot);
    free(snap);
    return NULL;
}

/* Train one epoch. Threads take sentences [0, S) in order, one at a time; thread t seeds its
 * generator with seeds[t] (non-zero). With hierarchical softmax and more than one thread, each
 * thread keeps its own copy of the last min(hot, V - 1) rows of syn1, synced after each sentence
 * (hot = 0: none). out[0] = tokens kept after subsampling, out[1] = (centre, context) pairs, out[2] = the last learning rate (as a
 * double). Returns 0, or -1 if a thread could not start (the epoch then ran on fewer threads). */
int w2v_train_epoch(float *syn0, float *syn1, float *syn1neg, int64_t V, int64_t D,
                    const int32_t *ids, const int64_t *sent_off, const int64_t *sent_raw, int64_t S,
                    const float *keep_prob, const uint8_t *codes, const int32_t *points,
                    const int32_t *lengths, int32_t depth, const float *alias_prob,
                    const int32_t *alias_idx, int32_t sg, int32_t hs, int32_t negative,
                    int32_t window, int32_t cbow_mean, float alpha0, float min_alpha,
                    int64_t done_before, int64_t total, int32_t n_threads, int32_t hot,
                    const uint64_t *seeds, double *out) {
    shared_t *sh = (shared_t *)calloc(1, sizeof(shared_t));
    sh->syn0 = syn0; sh->syn1 = syn1; sh->syn1neg = syn1neg; sh->V = V; sh->D = D;
    sh->ids = ids; sh->sent_off = sent_off; sh->sent_raw = sent_raw; sh->keep_prob = keep_prob;
    sh->codes = codes; sh->points = points; sh->lengths = lengths; sh->depth = depth;
    sh->alias_prob = alias_prob; sh->alias_idx = alias_idx;
    sh->sg = sg; sh->hs = hs; sh->negative = negative; sh->window = window; sh->cbow_mean = cbow_mean;
    sh->alpha0 = alpha0; sh->min_alpha = min_alpha; sh->done_before = done_before;
    sh->total = total > 0 ? total : 1; sh->progress = 0;
    for (int i = 0; i < EXP_TABLE_SIZE; i++) {
        float e = expf(((float)i / EXP_TABLE_SIZE * 2.0f - 1.0f) * MAX_EXP);
        sh->exp_table[i] = e / (e + 1.0f);
    }
    if (n_threads < 1) n_threads = 1;
    {   /* inner nodes: rows 0 .. V - 2 (one row for a one-word vocabulary), the root last */
        const int64_t inner = V > 1 ? V - 1 : 1;
        sh->hot_n = (hs && n_threads > 1 && hot > 0) ? (hot < inner ? hot : inner) : 0;
        sh->hot_lo = sh->hot_n > 0 ? inner - sh->hot_n : inner;
    }
    job_t *jobs = (job_t *)calloc(n_threads, sizeof(job_t));
    pthread_t *th = (pthread_t *)calloc(n_threads, sizeof(pthread_t));
    int *started = (int *)calloc(n_threads, sizeof(int));
    sh->S = S; sh->next_sent = 0; sh->maxlen = 1;
    for (int64_t s = 0; s < S; s++)
        if (sent_off[s + 1] - sent_off[s] > sh->maxlen) sh->maxlen = sent_off[s + 1] - sent_off[s];
    for (int t = 0; t < n_threads; t++) {
        jobs[t].sh = sh;
        jobs[t].rng = seeds[t] ? seeds[t] : 0x9E3779B97F4A7C15ULL;
        jobs[t].alpha_last = alpha0;
    }
    int rc = 0;
    for (int t = 1; t < n_threads; t++) {
        started[t] = pthread_create(&th[t], NULL, run_job, &jobs[t]) == 0;
        if (!started[t]) rc = -1;
    }
    run_job(&jobs[0]);
    for (int t = 1; t < n_threads; t++)
        if (started[t]) pthread_join(th[t], NULL); /* a thread that did not start: the others took its share */
    out[0] = 0; out[1] = 0; out[2] = jobs[0].alpha_last;
    for (int t = 0; t < n_threads; t++) {
        out[0] += (double)jobs[t].effective;
        out[1] += (double)jobs[t].pairs;
        if (jobs[t].alpha_last < out[2]) out[2] = jobs[t].alpha_last;
    }
    free(jobs); free(th); free(started); free(sh);
    return rc;
}
