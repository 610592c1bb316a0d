"""The C source of the native forest walker, kept here (not as a package-data file) so the
package needs no build step and no data-file rules: :mod:`.native` compiles it once per machine.

One fixed program for every model: the trees are data (a node array built from the model file
by :mod:`.xgboost_trees`), so compiling takes a fraction of a second whatever the model's size,
and the same shared library serves every model. The arithmetic replicates XGBoost's CPU
predictor operation for operation, in float32: each output starts at the base margin, each
tree's leaf is added in tree order, then the objective's transform (``common::Sigmoid``,
``common::Softmax`` or ``expf``) is applied as XGBoost writes it. A missing value (NaN) follows
the node's default direction; otherwise ``value < threshold`` goes left. So the answers are
XGBoost's, bit for bit, which the loader checks against XGBoost itself before using them.
Compile without ``-ffast-math`` and with ``-ffp-contract=off`` (no fused multiply-add), or
the float arithmetic would differ.
"""

from __future__ import annotations

ABI_VERSION = 3

C_SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define LINK_IDENTITY 0
#define LINK_SIGMOID 1
#define LINK_SOFTMAX 2
#define LINK_EXP 3
#define BLOCK_ROWS 64

typedef struct {
  int32_t child;   /* first child (the second follows it); a leaf points at itself */
  uint32_t split;  /* feature index | internal-node flag (bit 30) | default-left flag (bit 31) */
  float threshold; /* split threshold (internal nodes) */
  float leaf;      /* leaf value (leaves) */
} fw_node;

typedef struct {
  const fw_node* nodes;
  const int32_t* roots;   /* first node of each tree */
  const int32_t* depths;  /* levels below each tree's root */
  const int32_t* groups;  /* output group (class) of each tree */
  int64_t n_trees;
  const float* base;      /* base margin per group */
  int32_t n_groups;
  int32_t link;
} fw_forest;

int32_t fw_abi_version(void) { return 3; }

/* XGBoost's ProbToMargin for the logistic objectives and the log-link ones. */
float fw_logit(float p) { return -logf(1.0f / p - 1.0f); }
float fw_log(float p) { return logf(p); }

/* One level of one tree for one row, without a branch: a NaN takes the default direction,
   otherwise value < threshold goes to the first child; a leaf stays where it is. */
static inline int32_t fw_step(const fw_node* node, const float* row) {
  float v = row[node->split & 0x3fffffffu];
  uint32_t left = (uint32_t)(v < node->threshold) | ((uint32_t)(v != v) & (node->split >> 31));
  return node->child + (int32_t)((left ^ 1u) & ((node->split >> 30) & 1u));
}

static inline float fw_sigmoid(float x) {
  const float eps = 1e-16f;
  x = fminf(-x, 88.7f);
  float denom = expf(x) + 1.0f + eps;
  return 1.0f / denom;
}

static void fw_softmax(float* p, int32_t k) {
  float wmax = p[0];
  for (int32_t i = 1; i < k; ++i) wmax = fmaxf(p[i], wmax);
  double wsum = 0.0;
  for (int32_t i = 0; i < k; ++i) {
    p[i] = expf(p[i] - wmax);
    wsum += p[i];
  }
  for (int32_t i = 0; i < k; ++i) p[i] /= (float)wsum;
}

static void fw_link(const fw_forest* f, float* out, int64_t rows) {
  int64_t k = f->n_groups;
  if (f->link == LINK_SIGMOID) {
    for (int64_t i = 0; i < rows * k; ++i) out[i] = fw_sigmoid(out[i]);
  } else if (f->link == LINK_EXP) {
    for (int64_t i = 0; i < rows * k; ++i) out[i] = expf(out[i]);
  } else if (f->link == LINK_SOFTMAX) {
    for (int64_t r = 0; r < rows; ++r) fw_softmax(out + r * k, (int32_t)k);
  }
}

/* out[rows * n_groups] = the model's prediction for x[rows * n_cols] (row-major float32).
   Rows go in blocks; each tree walks the whole block level by level, so the independent walks
   of a block's rows overlap in the CPU instead of waiting on one another. */
void fw_predict(const fw_forest* f, const float* x, int64_t rows, int64_t n_cols, float* out) {
  int64_t k = f->n_groups;
  int32_t at[BLOCK_ROWS];
  for (int64_t start = 0; start < rows; start += BLOCK_ROWS) {
    int64_t n = rows - start < BLOCK_ROWS ? rows - start : BLOCK_ROWS;
    const float* xb = x + start * n_cols;
    float* ob = out + start * k;
    for (int64_t i = 0; i < n * k; ++i) ob[i] = f->base[i % k];
    for (int64_t t = 0; t < f->n_trees; ++t) {
      int32_t root = f->roots[t];
      int64_t g = f->groups[t];
      for (int64_t r = 0; r < n; ++r) at[r] = root;
      for (int32_t level = 0; level < f->depths[t]; ++level) {
        for (int64_t r = 0; r < n; ++r) at[r] = fw_step(&f->nodes[at[r]], xb + r * n_cols);
      }
      for (int64_t r = 0; r < n; ++r) ob[r * k + g] += f->nodes[at[r]].leaf;
    }
  }
  fw_link(f, out, rows);
}

/* Serving's whole numeric path in one call: raw request rows (float64) through the fitted
   transform, float32 features = (float)((raw - mean) / scale) as numpy computes them, the
   prediction, then the output in the served layout (float64): the model's groups as they are,
   or for a binary model the pair (1 - p, p) with 1 - p taken in float32 as the library's
   callers do. Returns -1 when all is well, -2 when out of memory, else the index of the first
   feature value that is not finite (the caller explains it); nothing is predicted then. */
int64_t fw_predict_raw(const fw_forest* f, const double* raw, int64_t rows, int64_t n_cols,
                       const double* mean, const double* scale, int32_t binary_pair,
                       double* out) {
  float small[4096];
  int64_t need = rows * (n_cols + f->n_groups);
  float* features = need <= 4096 ? small : (float*)malloc(sizeof(float) * (size_t)need);
  if (features == NULL) return -2;
  float* scratch = features + rows * n_cols;
  int64_t failed = -1;
  for (int64_t i = 0; i < rows * n_cols; ++i) {
    int64_t c = i % n_cols;
    float v = (float)((raw[i] - mean[c]) / scale[c]);
    if (!isfinite(v)) {
      failed = i;
      break;
    }
    features[i] = v;
  }
  if (failed < 0) {
    fw_predict(f, features, rows, n_cols, scratch);
    if (binary_pair) {
      for (int64_t r = 0; r < rows; ++r) {
        out[2 * r] = (double)(1.0f - scratch[r]);
        out[2 * r + 1] = (double)scratch[r];
      }
    } else {
      for (int64_t i = 0; i < rows * f->n_groups; ++i) out[i] = (double)scratch[i];
    }
  }
  if (features != small) free(features);
  return failed;
}
"""
