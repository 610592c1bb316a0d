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

ABI_VERSION = 6

C_SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int32_t fw_abi_version(void) { return 6; }

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

/* Exact powers of ten: every one up to 1e22 is a double without rounding. */
static const double fw_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A strict decimal number, the whole of [s, end): [+-]? (digits [. digits] | . digits)
   ([eE] [+-]? digits)?, at most 63 characters and finite. Anything else (spaces, quotes,
   nan, inf, hex, an empty cell) returns 0 so the caller's general parser decides. What is
   accepted becomes the correctly rounded double, as Python and numpy read it: when the digits
   fit 2^53 and the power of ten is at most 22, one IEEE multiplication or division of two
   exact doubles (Clinger's fast path), otherwise strtod. */
static int fw_number(const char* s, const char* end, double* out) {
  const char* p = s;
  int negative = 0, digits = 0, fraction = 0, exponent = 0, exponent_digits = 0;
  uint64_t mantissa = 0;
  int exact = 1;
  if (p < end && (*p == '+' || *p == '-')) negative = (*p++ == '-');
  for (; p < end && *p >= '0' && *p <= '9'; ++p, ++digits) {
    if (mantissa > (UINT64_C(1) << 53) / 10) exact = 0;
    mantissa = mantissa * 10 + (uint64_t)(*p - '0');
  }
  if (p < end && *p == '.') {
    for (++p; p < end && *p >= '0' && *p <= '9'; ++p, ++digits, ++fraction) {
      if (mantissa > (UINT64_C(1) << 53) / 10) exact = 0;
      mantissa = mantissa * 10 + (uint64_t)(*p - '0');
    }
  }
  if (digits == 0) return 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    int exponent_negative = 0;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) exponent_negative = (*p++ == '-');
    for (; p < end && *p >= '0' && *p <= '9'; ++p, ++exponent_digits) {
      if (exponent < 100000) exponent = exponent * 10 + (*p - '0');
    }
    if (exponent_digits == 0) return 0;
    if (exponent_negative) exponent = -exponent;
  }
  size_t n = (size_t)(end - s);
  if (p != end || n >= 64) return 0;
  int power = exponent - fraction;
  if (exact && mantissa <= (UINT64_C(1) << 53) && power >= -22 && power <= 22) {
    double v = (double)mantissa;
    v = power < 0 ? v / fw_pow10[-power] : v * fw_pow10[power];
    *out = negative ? -v : v;
    return 1;
  }
  char text[64];
  memcpy(text, s, n);
  text[n] = 0;
  char* stop = NULL;
  double v = strtod(text, &stop);
  if (stop != text + n || !isfinite(v)) return 0;
  *out = v;
  return 1;
}

/* fw_number for one cell (tests compare it with Python's float on many strings). */
int32_t fw_parse_cell(const char* s, int64_t n, double* out) { return fw_number(s, s + n, out); }

/* rows lines of n_cols strict numbers each (lines end in LF or CRLF; trailing line breaks
   are ignored) through fw_predict_raw. Returns -1 when predicted, -2 when out of memory,
   otherwise nothing is written and the caller's general path takes the request (a different
   shape, a cell it must read or refuse itself, a value the transform cannot hold). */
int64_t fw_predict_csv(const fw_forest* f, const char* body, int64_t length, int64_t rows,
                       int64_t n_cols, const double* mean, const double* scale,
                       int32_t binary_pair, double* out) {
  double small[512];
  if (rows < 1 || n_cols < 1) return 0;
  size_t cells = (size_t)(rows * n_cols);
  double* raw = cells <= 512 ? small : (double*)malloc(sizeof(double) * cells);
  if (raw == NULL) return -2;
  while (length > 0 && (body[length - 1] == '\n' || body[length - 1] == '\r')) --length;
  const char* p = body;
  const char* end = body + length;
  int64_t at = 0, result = 0;
  for (int64_t r = 0; r < rows && result == 0; ++r) {
    const char* line_end = memchr(p, '\n', (size_t)(end - p));
    if (line_end == NULL) line_end = end;
    if ((r + 1 < rows) != (line_end < end)) break; /* more or fewer lines than rows */
    const char* stop = line_end > p && line_end[-1] == '\r' ? line_end - 1 : line_end;
    int64_t c = 0;
    for (;;) {
      const char* cell = p;
      while (p < stop && *p != ',') ++p;
      if (c >= n_cols || !fw_number(cell, p, &raw[at + c])) { result = 1; break; }
      ++c;
      if (p == stop) break;
      ++p; /* the comma: another cell follows, even an empty one */
    }
    if (result == 0 && c != n_cols) result = 1;
    at += n_cols;
    p = line_end + (line_end < end);
    if (r + 1 == rows && result == 0) {
      result = fw_predict_raw(f, raw, rows, n_cols, mean, scale, binary_pair, out);
    }
  }
  if (raw != small) free(raw);
  return result == -1 || result == -2 ? result : 0;
}

static const char* fw_space(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  return p;
}

/* A JSON number token (RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?) at
   p, read with fw_number; 0 for anything else, and for integers of more than 18 digits (a
   JSON library reads those as integers, beyond 64 bits even refuses them). */
static const char* fw_json_number(const char* p, const char* end, double* out) {
  const char* s = p;
  int integer = 1;
  if (p < end && *p == '-') ++p;
  if (p < end && *p == '0') {
    ++p;
  } else if (p < end && *p >= '1' && *p <= '9') {
    while (p < end && *p >= '0' && *p <= '9') ++p;
  } else {
    return NULL;
  }
  if (p < end && *p == '.') {
    integer = 0;
    if (++p >= end || *p < '0' || *p > '9') return NULL;
    while (p < end && *p >= '0' && *p <= '9') ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    integer = 0;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || *p < '0' || *p > '9') return NULL;
    while (p < end && *p >= '0' && *p <= '9') ++p;
  }
  if (integer && p - s > 18) return NULL;
  return fw_number(s, p, out) ? p : NULL;
}

/* {"instances": [[n, ...], ...]} with exactly rows rows of n_cols JSON numbers each (any JSON
   white space between tokens) through fw_predict_raw. Returns -1 when predicted, -2 when out
   of memory, otherwise nothing is written and the caller's JSON parser takes the request
   (other keys, objects as instances, null, strings, invalid JSON, another shape). */
int64_t fw_predict_json(const fw_forest* f, const char* body, int64_t length, int64_t rows,
                        int64_t n_cols, const double* mean, const double* scale,
                        int32_t binary_pair, double* out) {
  static const char key[] = "\"instances\"";
  double small[512];
  if (rows < 1 || n_cols < 1) return 0;
  size_t cells = (size_t)(rows * n_cols);
  double* raw = cells <= 512 ? small : (double*)malloc(sizeof(double) * cells);
  if (raw == NULL) return -2;
  const char* end = body + length;
  const char* p = fw_space(body, end);
  int ok = p < end && *p++ == '{';
  p = fw_space(p, end);
  ok = ok && end - p >= (int64_t)(sizeof(key) - 1) && memcmp(p, key, sizeof(key) - 1) == 0;
  if (ok) p = fw_space(p + sizeof(key) - 1, end);
  ok = ok && p < end && *p++ == ':';
  if (ok) p = fw_space(p, end);
  ok = ok && p < end && *p++ == '[';
  for (int64_t r = 0; ok && r < rows; ++r) {
    p = fw_space(p, end);
    ok = p < end && *p++ == '[';
    for (int64_t c = 0; ok && c < n_cols; ++c) {
      p = fw_json_number(fw_space(p, end), end, &raw[r * n_cols + c]);
      ok = p != NULL;
      if (ok) p = fw_space(p, end);
      ok = ok && p < end && *p++ == (c + 1 < n_cols ? ',' : ']');
    }
    if (ok) p = fw_space(p, end);
    ok = ok && p < end && *p++ == (r + 1 < rows ? ',' : ']');
  }
  if (ok) p = fw_space(p, end);
  ok = ok && p < end && *p++ == '}';
  ok = ok && fw_space(p, end) == end;
  int64_t result = ok ? fw_predict_raw(f, raw, rows, n_cols, mean, scale, binary_pair, out) : 0;
  if (raw != small) free(raw);
  return result == -1 || result == -2 ? result : 0;
}
"""
